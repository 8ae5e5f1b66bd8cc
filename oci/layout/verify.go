package layout

import (
	"fmt"
	"hash"
	"io"

	digest "github.com/opencontainers/go-digest"
)

// Verify wraps rc, the content of blob want, so that reading it to the end
// checks the digest and, when size >= 0, the size: a mismatch is an error
// naming the blob and where (a layout, a source) it came from. The digest
// must have passed CheckDigest.
func Verify(rc io.ReadCloser, want digest.Digest, size int64, where string) io.ReadCloser {
	return &verifyReader{rc: rc, want: want, size: size, where: where, h: want.Algorithm().Hash()}
}

// verifyReader re-hashes a blob while it is read and turns the final EOF
// into an error when the content does not match the digest or size.
type verifyReader struct {
	rc    io.ReadCloser
	want  digest.Digest
	size  int64 // expected size; -1 when unknown
	where string
	h     hash.Hash
	n     int64
	done  bool
}

func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		return n, fmt.Errorf("blob %s of %s is corrupt: longer than its size %d", v.want, v.where, v.size)
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
	if got := digest.NewDigest(v.want.Algorithm(), v.h); got != v.want {
		return fmt.Errorf("blob %s of %s is corrupt: its content hashes to %s", v.want, v.where, got)
	}
	if v.size >= 0 && v.n != v.size {
		return fmt.Errorf("blob %s of %s is corrupt: %d bytes, its descriptor says %d", v.want, v.where, v.n, v.size)
	}
	return nil
}

func (v *verifyReader) Close() error { return v.rc.Close() }
