// Package layers turns filesystem changes into layer blobs byte-identical
// to BuildKit v0.34.2's on overlayfs with rewrite-timestamp=true, and turns
// layer blobs back into overlayfs layer directories.
//
// A stage's filesystem is a stack of layer directories in overlayfs format
// (bottom first). A build step mounts them with a fresh upper directory
// (Mount), works in the merged mount (COPY writes, or a RUN in the
// sandbox), unmounts, and the upper directory becomes the layer
// (CommitLayer). Underneath, WriteUpperdir walks the upper directory with
// BuildKit's overlay differ rules against the read-only view of the lowers
// (MountReadOnly), writes containerd's ChangeWriter headers and re-encodes
// them through Go's tar reader and writer with the epoch clamp, exactly as
// BuildKit's exporter does; WriteLayer adds Go's gzip at the default level
// and WriteLayerFile stores the blob under its digest. See
// docs/buildkit-output.md §5–6 for the rules and why.
//
// The walk is a port of BuildKit's util/overlay (which cannot be imported
// without pulling in the network); the headers come from containerd's
// archive.ChangeWriter and BuildKit's tarconverter themselves, so the bytes
// follow those packages rather than a re-implementation of them.
//
// Unpack does the reverse for base images: it verifies and extracts a blob
// into a new layer directory with containerd's archive.Apply, as BuildKit's
// overlay snapshotter does. Layer is a go-containerregistry v1.Layer over a
// finished blob file that re-verifies its digests whenever it is read.
//
// Everything here needs root (CAP_SYS_ADMIN for mounts, CAP_MKNOD for
// whiteouts, trusted.* xattrs for opaque directories).
package layers
