package layers

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/containerd/containerd/v2/pkg/archive"
)

// Unpack verifies and extracts a layer blob (gzip or uncompressed tar) read
// from r into dest, a new layer directory in overlayfs format, so that base
// image layers can serve as lowers. lowers are the layer directories below
// it, bottom first.
//
// It calls containerd's archive.Apply exactly as containerd's overlay
// applier does inside BuildKit (OCI whiteouts become 0/0 character devices,
// ".wh..wh..opq" the trusted.overlay.opaque xattr, missing parents inherit
// the lowers' attributes; the bottom layer gets plain whiteout handling), so
// the lowers match BuildKit's even in its quirks: negative mtimes become 0,
// a hardlink entry's mode applies to the shared inode. Paths resolve inside
// dest, never through symlinks out of it. The blob digest, the diffID and
// (when want.Size > 0) the size are checked after the whole stream was
// read; on any error dest is not created.
func Unpack(ctx context.Context, r io.Reader, want Blob, lowers []string, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("unpack layer %s: %s already exists", want.Digest, dest)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".unpack-")
	if err != nil {
		return fmt.Errorf("unpack layer %s: %w", want.Digest, err)
	}
	if err := unpackInto(ctx, r, want, lowers, tmp); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("unpack layer %s: %w", want.Digest, err)
	}
	if err := os.Rename(tmp, dest); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("unpack layer %s: %w", want.Digest, err)
	}
	return nil
}

func unpackInto(ctx context.Context, r io.Reader, want Blob, lowers []string, dir string) error {
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	size := want.Size
	if size <= 0 {
		size = -1
	}
	blob := newVerifyingReader(r, want.Digest, size, "blob")
	tarStream, closeTar, err := decompress(blob)
	if err != nil {
		return err
	}
	defer closeTar()
	tarVerify := newVerifyingReader(tarStream, want.DiffID, -1, "diffID")
	if _, err := archive.Apply(ctx, dir, tarVerify, applyOptions(lowers)...); err != nil {
		return fmt.Errorf("apply: %w", err)
	}
	if err := tarVerify.drain(); err != nil {
		return err
	}
	return blob.drain()
}

// applyOptions are containerd's core/diff/apply choices for an overlay
// snapshot: convert whiteouts unless this is the bottom layer (a bind
// mount there), and inherit parent attributes from the lowers, nearest
// first.
func applyOptions(lowers []string) []archive.ApplyOpt {
	if len(lowers) == 0 {
		return nil
	}
	parents := slices.Clone(lowers)
	slices.Reverse(parents)
	convert := archive.OverlayConvertWhiteout
	if userXattr() {
		convert = overlayConvertWhiteoutUser
	}
	return []archive.ApplyOpt{archive.WithConvertWhiteout(convert), archive.WithParents(parents)}
}

// decompress detects gzip by its magic number and otherwise reads a tar.
func decompress(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.Equal(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return nil, nil, fmt.Errorf("zstd layers are not supported")
	default:
		return br, func() {}, nil
	}
}
