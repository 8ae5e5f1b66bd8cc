package layers

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// verifyingReader hashes what passes through it and, at EOF, turns a
// digest or size mismatch into an error instead of io.EOF, so a consumer
// that reads to the end cannot take corrupt data for good data.
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	n    int64
	want v1.Hash
	size int64 // -1: unknown
	what string
	err  error
}

func newVerifyingReader(r io.Reader, want v1.Hash, size int64, what string) *verifyingReader {
	return &verifyingReader{r: r, h: sha256.New(), want: want, size: size, what: what}
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if errors.Is(err, io.EOF) {
		err = v.check()
	}
	v.err = err
	return n, err
}

// check compares what was read with what was expected; io.EOF when equal.
func (v *verifyingReader) check() error {
	if v.size >= 0 && v.n != v.size {
		return fmt.Errorf("verify %s %s: read %d bytes, want %d", v.what, v.want, v.n, v.size)
	}
	if got := hashOf(v.h); got != v.want {
		return fmt.Errorf("verify %s: got %s, want %s", v.what, got, v.want)
	}
	return io.EOF
}

// drain reads the rest and reports the verdict: nil when the data matched.
func (v *verifyingReader) drain() error {
	if _, err := io.Copy(io.Discard, v); err != nil {
		return err
	}
	return nil
}
