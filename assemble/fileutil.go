package assemble

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
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
	return writeAtomicFrom(p, bytesReader(data))
}

func writeAtomicFrom(p string, r io.Reader) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

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
	return Blob{Path: path, Digest: dg, DiffID: di, Size: m.Size}, nil
}
