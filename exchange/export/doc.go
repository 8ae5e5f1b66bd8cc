// Package export hands a built target (an out/<target> OCI layout) to the
// tools that run images: an OCI layout directory or archive (podman load,
// skopeo), a docker save archive (docker load, podman load) and a registry
// (push). Package containerd, below this one, imports into containerd.
//
// Why a package of its own: what StageX records and signs is the image
// manifest digest, so every exported form must carry the manifest bytes of
// out/<target> unchanged. The OCI forms copy every blob byte for byte; only
// index.json is rewritten, to name the image stagex/<target>:<tag> for the
// consumers that read names from it (podman, containerd). A registry push
// sends the image index and manifests as they are. Docker's archive format
// has no place for an OCI manifest, so it necessarily carries Docker's
// manifest.json instead, with the same config and layer blobs.
//
// Every blob is read through oci/layout, which re-hashes it while it is
// copied: a corrupt out/ layout is an error naming the blob, never a
// silently exported image. Archives are written with internal/atomicfile
// and directories with oci/layout's writer (a temp path next to the target,
// fsynced and renamed), so a partial export never looks complete.
//
// The protocols themselves are go-containerregistry's (docker archives,
// registries, layout blob writing) and containerd's client (import); this
// package only chooses what to send.
package export
