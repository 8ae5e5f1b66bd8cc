package assemble

import (
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
	"github.com/stevedore-build/stevedore/layers"
)

// linkOrCopy makes dst a hard link to src, or a copy when linking fails.
func linkOrCopy(src, dst string) error {
	os.Remove(dst)
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return writeAtomicFrom(dst, in)
}

func writeAtomic(p string, data []byte) error {
	return atomicfile.Write(p, func(w io.Writer) error { _, err := w.Write(data); return err })
}

func writeAtomicFrom(p string, r io.Reader) error {
	return atomicfile.Write(p, func(w io.Writer) error { _, err := io.Copy(w, r); return err })
}

// blobOf describes a recorded blob from its metadata; Unpack verifies the
// digests while reading.
func blobOf(path string, m cacheMeta) (Blob, error) {
	dg, err := v1.NewHash(m.Digest)
	if err != nil {
		return Blob{}, fmt.Errorf("%s: digest: %w", path, err)
	}
	di, err := v1.NewHash(m.DiffID)
	if err != nil {
		return Blob{}, fmt.Errorf("%s: diff_id: %w", path, err)
	}
	return Blob{Path: path, Blob: layers.Blob{Digest: dg, DiffID: di, Size: m.Size}}, nil
}
