package image

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Modes of what WriteLayout creates: those of the tar BuildKit's OCI
// exporter sends (containerd's archive exporter), so that a layout does not
// depend on the writer's umask.
const (
	blobMode   fs.FileMode = 0o444
	indexMode  fs.FileMode = 0o644
	layoutMode fs.FileMode = 0o444
	dirMode    fs.FileMode = 0o755
)

// blobPath is where a layout keeps the blob h.
func blobPath(dir string, h v1.Hash) string {
	return filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
}

// validHash refuses digests that are not lowercase sha256 hex, so that a
// hostile index.json cannot make us open paths outside blobs/.
func validHash(h v1.Hash) error {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 {
		return fmt.Errorf("unsupported digest %q", h)
	}
	for _, c := range h.Hex {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("invalid digest %q", h)
		}
	}
	return nil
}

// hashReader hashes r to the end and returns its digest and length.
func hashReader(r io.Reader) (v1.Hash, int64, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return v1.Hash{}, n, err
	}
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}, n, nil
}

// checkContent compares what was hashed with what a descriptor promised.
func checkContent(got v1.Hash, n int64, want v1.Hash, size int64) error {
	if got != want {
		return fmt.Errorf("content hashes to %s", got)
	}
	if n != size {
		return fmt.Errorf("content is %d bytes, want %d", n, size)
	}
	return nil
}

// verifyFile re-hashes the file at path; with sync it also fsyncs it, so
// that a linked blob is both right and durable.
func verifyFile(path string, want v1.Hash, size int64, sync bool) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	got, n, err := hashReader(f)
	if err != nil {
		return err
	}
	if err := checkContent(got, n, want, size); err != nil {
		return err
	}
	if sync {
		return f.Sync()
	}
	return nil
}

// placeBlob puts the blob at src into the layout as dst. It hard-links
// when src is a read-only (0444) regular file, so that linking changes
// nothing about the result, and copies otherwise; either way the content
// is hashed and compared before it counts.
func placeBlob(src, dst string, want v1.Hash, size int64) error {
	if st, err := os.Stat(src); err == nil && st.Mode().IsRegular() && st.Mode().Perm() == blobMode {
		if err := os.Link(src, dst); err == nil {
			if err := verifyFile(dst, want, size, true); err != nil {
				return err
			}
			return nil
		}
	}
	return copyBlob(src, dst, want, size)
}

// copyBlob copies src to dst while hashing it and fsyncs dst.
func copyBlob(src, dst string, want v1.Hash, size int64) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, blobMode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	got, n, err := hashReader(io.TeeReader(in, out))
	if err != nil {
		return err
	}
	if err := checkContent(got, n, want, size); err != nil {
		return err
	}
	if err := out.Chmod(blobMode); err != nil {
		return err
	}
	return out.Sync()
}

// writeFile writes data to a new file with mode (not subject to the umask)
// and fsyncs it.
func writeFile(path string, data []byte, mode fs.FileMode) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	return f.Sync()
}
