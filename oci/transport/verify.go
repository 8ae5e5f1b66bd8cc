package transport

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// verifyReader re-hashes a blob while it is read and turns the final EOF
// into an error when the content does not match the expected digest or size.
type verifyReader struct {
	rc   io.ReadCloser
	want v1.Hash
	size int64 // expected size; -1 when unknown
	h    hash.Hash
	n    int64
	done bool
}

// newVerifyReader wraps rc so that reading it to the end checks digest want
// and, when size >= 0, the size.
func newVerifyReader(rc io.ReadCloser, want v1.Hash, size int64) (io.ReadCloser, error) {
	if want.Algorithm != "sha256" {
		rc.Close()
		return nil, fmt.Errorf("blob %s: unsupported digest algorithm %q", want, want.Algorithm)
	}
	return &verifyReader{rc: rc, want: want, size: size, h: sha256.New()}, nil
}

func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		return n, fmt.Errorf("blob %s is corrupt: longer than its size %d", v.want, v.size)
	}
	if err == io.EOF && !v.done {
		v.done = true
		if verr := v.check(); verr != nil {
			return n, verr
		}
	}
	return n, err
}

func (v *verifyReader) check() error {
	got := hex.EncodeToString(v.h.Sum(nil))
	if got != v.want.Hex {
		return fmt.Errorf("blob %s is corrupt: its content hashes to sha256:%s", v.want, got)
	}
	if v.size >= 0 && v.n != v.size {
		return fmt.Errorf("blob %s is corrupt: %d bytes, its descriptor says %d", v.want, v.n, v.size)
	}
	return nil
}

func (v *verifyReader) Close() error { return v.rc.Close() }
