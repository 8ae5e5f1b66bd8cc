// Package layout is the one reader and the one writer of OCI image layouts
// (the oci-layout, index.json and blobs/ of the image-spec), in the spirit
// of go-containerregistry's layout.Path, which neither verifies what it
// reads nor replaces a layout atomically.
//
// Reading: Dir opens a directory, FromFiles any other store of a layout's
// files (oci/transport reads archives through it). Every blob read is
// checked: its digest must be sha256 with 64 lowercase hex digits (so a
// hostile index.json cannot name a path outside blobs/), its content must
// hash to that digest and have the descriptor's size; a mismatch is an
// error naming the blob and the layout. JSON documents (index.json,
// indexes, manifests, configs) are read into memory up to MaxJSON; layers
// are only streamed. Resolve walks to one platform's image (what FROM
// starts from), Recorded to the image StageX records (index.json ->
// manifests[0] -> manifests[0]).
//
// Writing: Create builds a new layout in a locked temp dir next to the
// target, every blob verified as it is added, and Commit fsyncs it and
// swaps it into place (renameat2 RENAME_EXCHANGE, two renames where the
// filesystem lacks it). A crash at any point leaves the old layout or the
// new one, never a mix; temp dirs of dead writers are swept. Files get the
// modes of the tar BuildKit's OCI exporter sends, so a layout does not
// depend on the writer's umask.
//
// docs/architecture.md places the package: layer 1, under assemble/image,
// digests, oci/transport, imagestore, build and exchange.
package layout
