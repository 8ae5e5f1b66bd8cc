package layers

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Blob identifies a compressed layer the way a manifest and a config do.
// It is the one declaration of a layer blob's identity: assemble.Blob and
// image.Layer embed it next to the path of the blob's file.
type Blob struct {
	// Digest is the sha256 of the gzip stream (the manifest's layer digest).
	Digest v1.Hash
	// DiffID is the sha256 of the uncompressed tar (the config's diff_id).
	DiffID v1.Hash
	// Size is the length of the gzip stream in bytes.
	Size int64
}

// WriteLayer writes the gzipped layer for upper over lowerView (see
// WriteUpperdir) to w, hashing both streams as they pass.
func WriteLayer(ctx context.Context, w io.Writer, lowerView, upper string, epoch time.Time) (Blob, error) {
	return compress(w, func(tw io.Writer) error {
		return writeUpperdir(ctx, tw, lowerView, upper, epoch)
	})
}

// Gzip compresses the tar stream r to w exactly as BuildKit's exporter does:
// Go's compress/gzip at DefaultCompression, a zero header (no name, no
// mtime), one member. The deflate output is part of every digest, so it
// ties stevedore to Go's compress/flate (tests pin known outputs).
func Gzip(w io.Writer, r io.Reader) (Blob, error) {
	return compress(w, func(tw io.Writer) error {
		_, err := io.Copy(tw, r)
		return err
	})
}

// compress runs produce into a gzip writer and returns both digests.
func compress(w io.Writer, produce func(io.Writer) error) (Blob, error) {
	blobHash := sha256.New()
	counted := &countingWriter{w: io.MultiWriter(w, blobHash)}
	zw, err := gzip.NewWriterLevel(counted, gzip.DefaultCompression)
	if err != nil {
		return Blob{}, fmt.Errorf("gzip layer: %w", err)
	}
	diffHash := sha256.New()
	if err := produce(io.MultiWriter(zw, diffHash)); err != nil {
		return Blob{}, err
	}
	if err := zw.Close(); err != nil {
		return Blob{}, fmt.Errorf("gzip layer: %w", err)
	}
	return Blob{Digest: hashOf(blobHash), DiffID: hashOf(diffHash), Size: counted.n}, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func hashOf(h hash.Hash) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
}
