// Package imagestore resolves the image references a Containerfile uses
// besides stagex/<target> (FROM alpine:3.20, COPY --from=host/repo@sha256:...)
// to OCI image layouts the executor reads with image.ReadLayout. It reads and
// writes layouts only through oci/layout, so it sits in layer 3, beside the
// executor it serves rather than above it (docs/architecture.md).
//
// A Resolver asks an ordered list of sources: OCI layout directories,
// oci-archive and docker-archive files, and registries (go-containerregistry's
// remote). What it finds is copied into a store folder (by convention
// <tree>/.stevedore/images/), one OCI layout per digest
// (sha256/<hex>/), holding the object the reference names (index or
// manifest) and, for the platform built, its manifest, config and layers.
// Every blob is re-hashed as it is copied (layout.Writer), the finished
// layout is read back with layout.Resolve before it is swapped into place,
// and every blob is re-hashed again when the executor reads the layout.
//
// A reference by tag is resolved once and pinned in a lock file next to the
// tree (stevedore.lock): reference, digest and the source it came from, one
// line each, sorted. Later builds fetch exactly the pinned digest; a pin is
// only rewritten when asked (Options.UpdateLock). Offline, every tag must be
// pinned and only the store, layouts and archives are read.
//
// Nothing here reads flags, the environment or credential files: the caller
// passes sources and a keychain.
package imagestore
