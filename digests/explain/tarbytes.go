package explain

import (
	"archive/tar"
	"bufio"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// tarBytes explains two tars whose entries are equal as parsed but whose
// bytes differ (header encoding, padding, end of archive): it finds the
// first differing byte and the entry it belongs to.
func (c *comparer) tarBytes(path string, da, db v1.Descriptor) error {
	sa, err := openLayer(c.a, da)
	if err != nil {
		return err
	}
	defer sa.Close()
	sb, err := openLayer(c.b, db)
	if err != nil {
		return err
	}
	defer sb.Close()
	off, ba, bb, err := firstByteDiff(sa.tar, sb.tar)
	if err != nil {
		return fmt.Errorf("read layers %s: %w", path, err)
	}
	where, err := c.entryAt(da, off)
	if err != nil {
		return err
	}
	c.add(Difference{Level: LevelTar, Path: path + ":" + where, Field: fmt.Sprintf("bytes (tar offset %d)", off),
		A: bytesOrEnd(ba), B: bytesOrEnd(bb)})
	return nil
}

// firstByteDiff streams a and b and returns the offset of their first
// difference and up to 16 bytes from there on each side.
func firstByteDiff(a, b io.Reader) (int64, []byte, []byte, error) {
	ra, rb := bufio.NewReaderSize(a, 32<<10), bufio.NewReaderSize(b, 32<<10)
	var off int64
	for {
		pa, ea := ra.Peek(16)
		pb, eb := rb.Peek(16)
		if n := commonPrefix(pa, pb); n < len(pa) || n < len(pb) {
			return off + int64(n), pa[n:], pb[n:], nil
		}
		if ea != nil || eb != nil {
			if err := firstErr(ea, eb); err != nil {
				return 0, nil, nil, err
			}
			return off, nil, nil, nil
		}
		ra.Discard(len(pa))
		rb.Discard(len(pb))
		off += int64(len(pa))
	}
}

// entryAt names the entry of layer d that holds tar offset off.
func (c *comparer) entryAt(d v1.Descriptor, off int64) (string, error) {
	s, err := openLayer(c.a, d)
	if err != nil {
		return "", err
	}
	defer s.Close()
	cr := &countingReader{r: s.tar}
	tr := tar.NewReader(cr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return "end of archive", nil
		}
		if err != nil {
			return "", fmt.Errorf("read layer blob %s: %w", d.Digest, err)
		}
		if off < cr.n {
			return h.Name + " (header)", nil
		}
		if off < cr.n+h.Size+(-h.Size&511) {
			return h.Name + " (data)", nil
		}
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func bytesOrEnd(b []byte) string {
	if len(b) == 0 {
		return "<end of tar>"
	}
	return shortHex(b, 16)
}
