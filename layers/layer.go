package layers

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Layer is a go-containerregistry v1.Layer over a finished gzip blob file,
// so assembly can hand stevedore's layers to ggcr's layout writer, mutate
// and remote. Every read re-hashes the file: a blob that changed on disk
// fails at EOF instead of entering an image.
type Layer struct {
	path string
	blob Blob
}

var _ v1.Layer = (*Layer)(nil)

// OpenLayer returns the Layer for the blob file at path, which must be
// b.Size bytes long; the digests are checked when the layer is read.
func OpenLayer(path string, b Blob) (*Layer, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open layer %s: %w", b.Digest, err)
	}
	if st.Size() != b.Size {
		return nil, fmt.Errorf("open layer %s: %s is %d bytes, want %d", b.Digest, path, st.Size(), b.Size)
	}
	return &Layer{path: path, blob: b}, nil
}

// WriteLayerFile writes the gzipped layer for upper over lowerView into
// dir/<hex of its digest>, atomically (temp file, fsync, rename), and
// returns it; dir can be an OCI layout's blobs/sha256.
func WriteLayerFile(ctx context.Context, dir, lowerView, upper string, epoch time.Time) (*Layer, error) {
	f, err := os.CreateTemp(dir, ".layer-*")
	if err != nil {
		return nil, fmt.Errorf("write layer file: %w", err)
	}
	defer os.Remove(f.Name()) // no-op after the rename
	b, err := writeToFile(ctx, f, lowerView, upper, epoch)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write layer file for %s: %w", upper, err)
	}
	path := filepath.Join(dir, b.Digest.Hex)
	if err := os.Rename(f.Name(), path); err != nil {
		return nil, fmt.Errorf("write layer file: %w", err)
	}
	return OpenLayer(path, b)
}

// CommitLayer is what a build step calls after unmounting its overlay: it
// mounts the read-only view of lowers (the same stack, bottom first, that
// was mounted under upper), writes the layer file into dir as
// WriteLayerFile does, and unmounts the view again.
func CommitLayer(ctx context.Context, dir string, lowers []string, upper string, epoch time.Time) (l *Layer, err error) {
	view, err := os.MkdirTemp(filepath.Dir(upper), ".lowerview-")
	if err != nil {
		return nil, fmt.Errorf("commit layer %s: %w", upper, err)
	}
	defer os.Remove(view)
	unmount, err := MountReadOnly(lowers, view)
	if err != nil {
		return nil, fmt.Errorf("commit layer %s: %w", upper, err)
	}
	defer func() {
		if uerr := unmount(); err == nil && uerr != nil {
			l, err = nil, fmt.Errorf("commit layer %s: %w", upper, uerr)
		}
	}()
	return WriteLayerFile(ctx, dir, view, upper, epoch)
}

func writeToFile(ctx context.Context, f *os.File, lowerView, upper string, epoch time.Time) (Blob, error) {
	bw := bufio.NewWriterSize(f, 128<<10)
	b, err := WriteLayer(ctx, bw, lowerView, upper, epoch)
	if err != nil {
		return Blob{}, err
	}
	if err := bw.Flush(); err != nil {
		return Blob{}, err
	}
	if err := f.Chmod(0o644); err != nil {
		return Blob{}, err
	}
	return b, f.Sync()
}

// Path is the blob file.
func (l *Layer) Path() string { return l.path }

// Blob returns the digests and size the layer was opened with.
func (l *Layer) Blob() Blob { return l.blob }

// Digest is the sha256 of the gzip blob, as the manifest lists it.
func (l *Layer) Digest() (v1.Hash, error) { return l.blob.Digest, nil }

// DiffID is the sha256 of the uncompressed tar, as the config lists it.
func (l *Layer) DiffID() (v1.Hash, error) { return l.blob.DiffID, nil }

// Size is the blob's length in bytes.
func (l *Layer) Size() (int64, error) { return l.blob.Size, nil }

// MediaType is the OCI gzip layer type BuildKit's OCI exporter uses.
func (l *Layer) MediaType() (types.MediaType, error) { return types.OCILayer, nil }

// Compressed returns the blob; reading it to the end verifies digest and
// size.
func (l *Layer) Compressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("read layer %s: %w", l.blob.Digest, err)
	}
	return readCloser{newVerifyingReader(f, l.blob.Digest, l.blob.Size, "blob "+l.path), f.Close}, nil
}

// Uncompressed returns the tar; reading it to the end verifies the diffID
// and then the blob digest of the whole file.
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("read layer %s: %w", l.blob.Digest, err)
	}
	blob := newVerifyingReader(f, l.blob.Digest, l.blob.Size, "blob "+l.path)
	zr, err := gzip.NewReader(bufio.NewReader(blob))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read layer %s: %w", l.blob.Digest, err)
	}
	tarR := newVerifyingReader(zr, l.blob.DiffID, -1, "diffID of "+l.path)
	return readCloser{&thenDrain{r: tarR, after: blob}, f.Close}, nil
}

// thenDrain reads r and, at its EOF, drains and verifies after too.
type thenDrain struct {
	r     io.Reader
	after *verifyingReader
}

func (t *thenDrain) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err == io.EOF {
		if derr := t.after.drain(); derr != nil {
			return n, derr
		}
	}
	return n, err
}

type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
