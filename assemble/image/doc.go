// Package image turns the result of a build into the exact bytes BuildKit
// v0.34.2 exports with StageX's flags (type=oci, rewrite-timestamp=true,
// force-compression=true, BUILDKIT_MULTI_PLATFORM=1): the image config, the
// manifest, the nested image index and index.json. It writes and reads
// layouts through oci/layout, the one verified reader and crash-safe writer
// (docs/architecture.md), adding only what the executor needs: the config
// as BuildKit's frontend parses it and the layer blobs' paths.
//
// Why a package of its own: StageX records, verifies and signs the image
// manifest digest, which covers the config bytes and every layer
// descriptor. A single reordered key, a missing HTML escape or a stray
// annotation changes it. So the serialisation here mirrors BuildKit's code
// step by step (exporter/containerimage/writer.go: normalizeLayersAndHistory,
// patchImageConfig, commitDistributionManifest; containerd's archive
// exporter for index.json) instead of going through a generic OCI writer;
// go-containerregistry's layout writer produces other bytes and skips blobs
// by size.
//
// The flow is:
//
//	img, err := image.Assemble(image.Input{...}, image.StageXExport(epoch, "core-foo", "1.2"))
//	err = image.WriteLayout("out/core-foo", img)     // atomic: old or new, never a mix
//	base, err := image.ReadLayout("out/core-foo", platform) // every blob re-hashed
//
// Inputs are explicit: the epoch, platform and names are parameters; nothing
// here reads the environment or the clock.
package image
