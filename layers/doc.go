// Package layers turns filesystem changes into layer blobs byte-identical
// to BuildKit v0.34.2's on overlayfs with rewrite-timestamp=true, and turns
// layer blobs back into overlayfs layer directories.
//
// A stage's filesystem is a stack of layer directories in overlayfs format
// (bottom first). A build step mounts them with a fresh upper directory
// (Mount), works in the merged mount, unmounts, and the upper directory
// becomes the layer: WriteUpperdir walks it with BuildKit's overlay differ
// rules against the read-only view of the lowers (MountReadOnly), writes
// containerd's ChangeWriter headers and re-encodes them through Go's tar
// reader and writer with the epoch clamp, exactly as BuildKit's exporter
// does; WriteLayer adds Go's gzip at the default level. See
// shared/design/buildkit-output.md §5–6 for the rules and why.
//
// Unpack does the reverse for base images: it verifies and extracts a blob
// into a new layer directory, with OCI whiteouts as overlay whiteouts. File
// is a go-containerregistry v1.Layer over a finished blob that re-verifies
// its digests whenever it is read.
//
// Everything here needs root (or CAP_SYS_ADMIN for mounts and mknod).
package layers
