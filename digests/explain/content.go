package explain

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"unicode/utf8"
)

// contentSum is the streamed summary of an entry's content.
type contentSum struct {
	sum [sha256.Size]byte
	n   int64
}

func (s contentSum) String() string {
	return fmt.Sprintf("sha256:%s (%d bytes)", hex.EncodeToString(s.sum[:]), s.n)
}

// firstDiff locates the first differing line of two contents.
type firstDiff struct {
	line   int   // 1-based line number
	offset int64 // byte offset of the first differing byte
	a, b   []byte
}

// hashContent reads r to the end and returns its summary.
func hashContent(r io.Reader) (contentSum, error) {
	h := sha256.New()
	n, err := io.Copy(h, r)
	var s contentSum
	copy(s.sum[:], h.Sum(nil))
	s.n = n
	return s, err
}

const maxLine = 64 << 10

// compareContent reads two entry contents in lock step, line by line with
// lines capped at 64 KiB, hashing both, and returns where they first differ
// (nil when equal). Memory stays bounded whatever the sizes.
func compareContent(ra, rb io.Reader) (contentSum, contentSum, *firstDiff, error) {
	ha, hb := &countingHash{h: sha256.New()}, &countingHash{h: sha256.New()}
	ba := bufio.NewReaderSize(io.TeeReader(ra, ha), maxLine)
	bb := bufio.NewReaderSize(io.TeeReader(rb, hb), maxLine)
	var fd *firstDiff
	var off int64
	for line := 1; fd == nil; line++ {
		la, ea := readLine(ba)
		lb, eb := readLine(bb)
		if !bytes.Equal(la, lb) {
			fd = &firstDiff{line: line, offset: off + int64(commonPrefix(la, lb)),
				a: bytes.Clone(la), b: bytes.Clone(lb)}
		}
		off += int64(len(la))
		if err := firstErr(ea, eb); err != nil {
			return contentSum{}, contentSum{}, nil, err
		}
		if ea == io.EOF && eb == io.EOF {
			break
		}
	}
	if _, err := io.Copy(io.Discard, ba); err != nil {
		return contentSum{}, contentSum{}, nil, err
	}
	if _, err := io.Copy(io.Discard, bb); err != nil {
		return contentSum{}, contentSum{}, nil, err
	}
	return ha.sum(), hb.sum(), fd, nil
}

// countingHash hashes and counts what is written to it.
type countingHash struct {
	h hash.Hash
	n int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return c.h.Write(p)
}

func (c *countingHash) sum() contentSum {
	s := contentSum{n: c.n}
	copy(s.sum[:], c.h.Sum(nil))
	return s
}

func readLine(r *bufio.Reader) ([]byte, error) {
	l, err := r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	if err == io.EOF && len(l) > 0 {
		return l, nil
	}
	return l, err
}

func firstErr(a, b error) error {
	if a != nil && a != io.EOF {
		return a
	}
	if b != nil && b != io.EOF {
		return b
	}
	return nil
}

func commonPrefix(a, b []byte) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}

// isText reports whether b looks like text: valid UTF-8 without NUL.
func isText(b []byte) bool { return utf8.Valid(b) && bytes.IndexByte(b, 0) < 0 }

// describe formats one side of a content difference: the hash, then the
// first differing line for text or the bytes from the first difference.
func (fd *firstDiff) describe(s contentSum, side []byte) string {
	if isText(fd.a) && isText(fd.b) {
		if len(side) == 0 {
			return fmt.Sprintf("%s; line %d: <end of content>", s, fd.line)
		}
		return fmt.Sprintf("%s; line %d: %s", s, fd.line, quoteShort(string(side), 120))
	}
	cp := min(commonPrefix(fd.a, fd.b), len(side))
	return fmt.Sprintf("%s; byte %d: %s", s, fd.offset, shortHex(side[cp:], 16))
}
