package explain

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/oci/transport"
)

// gzipHeader is the first member header of a gzip stream (RFC 1952).
type gzipHeader struct {
	Flags   byte
	MTime   uint32
	XFL     byte
	OS      byte
	Extra   []byte
	Name    string
	Comment string
}

// parseGzipHeader parses the header at the start of b as far as b goes.
func parseGzipHeader(b []byte) *gzipHeader {
	if len(b) < 10 {
		return &gzipHeader{}
	}
	h := &gzipHeader{Flags: b[3], MTime: binary.LittleEndian.Uint32(b[4:8]), XFL: b[8], OS: b[9]}
	rest := b[10:]
	if h.Flags&0x04 != 0 && len(rest) >= 2 {
		n := int(binary.LittleEndian.Uint16(rest))
		if len(rest) >= 2+n {
			h.Extra, rest = rest[2:2+n], rest[2+n:]
		}
	}
	cstr := func() string {
		for i, c := range rest {
			if c == 0 {
				s := string(rest[:i])
				rest = rest[i+1:]
				return s
			}
		}
		return ""
	}
	if h.Flags&0x08 != 0 {
		h.Name = cstr()
	}
	if h.Flags&0x10 != 0 {
		h.Comment = cstr()
	}
	return h
}

// fields lists the header fields by name, for field-by-field comparison.
func (h *gzipHeader) fields() [][2]string {
	return [][2]string{
		{"flags", fmt.Sprintf("%#02x", h.Flags)},
		{"mtime", strconv.FormatUint(uint64(h.MTime), 10)},
		{"xfl", fmt.Sprintf("%d%s", h.XFL, xflHint(h.XFL))},
		{"os", strconv.Itoa(int(h.OS))},
		{"extra", fmt.Sprintf("%x", h.Extra)},
		{"name", strconv.Quote(h.Name)},
		{"comment", strconv.Quote(h.Comment)},
	}
}

func xflHint(x byte) string {
	switch x {
	case 2:
		return " (best compression)"
	case 4:
		return " (fastest)"
	}
	return ""
}

// gzipStreams explains two different blobs whose tars are equal: first the
// header fields, then the compression level found by recompressing.
func (c *comparer) gzipStreams(path string, da, db v1.Descriptor, ha, hb *gzipHeader) error {
	if (ha == nil) != (hb == nil) {
		c.add(Difference{Level: LevelGzip, Path: path, Field: "compression", A: compressionName(ha), B: compressionName(hb)})
		return nil
	}
	if ha == nil {
		return c.opaqueBlob(LevelGzip, path, da, db)
	}
	fa, fb := ha.fields(), hb.fields()
	n := 0
	for i := range fa {
		if fa[i] != fb[i] {
			c.add(Difference{Level: LevelGzip, Path: path, Field: "header." + fa[i][0], A: fa[i][1], B: fb[i][1]})
			n++
		}
	}
	if n > 0 {
		return nil
	}
	la, err := guessLevel(c.a, da, ha)
	if err != nil {
		return err
	}
	lb, err := guessLevel(c.b, db, hb)
	if err != nil {
		return err
	}
	if la != lb {
		c.add(Difference{Level: LevelGzip, Path: path, Field: "level", A: la, B: lb})
		return nil
	}
	c.add(Difference{Level: LevelGzip, Path: path, Field: "stream",
		A: fmt.Sprintf("%s (%d bytes)", da.Digest, da.Size), B: fmt.Sprintf("%s (%d bytes)", db.Digest, db.Size)})
	return nil
}

func compressionName(h *gzipHeader) string {
	if h == nil {
		return "none"
	}
	return "gzip"
}

// guessLevel recompresses the layer's tar with Go's compress/gzip at every
// level, with the same header, and names the level that reproduces the blob.
func guessLevel(img *transport.Store, d v1.Descriptor, h *gzipHeader) (string, error) {
	s, err := openLayer(img, d)
	if err != nil {
		return "", err
	}
	defer s.Close()
	levels := []int{gzip.HuffmanOnly, gzip.NoCompression, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	var ws []io.Writer
	var zs []*gzip.Writer
	var hs []*countingHash
	for _, l := range levels {
		ch := &countingHash{h: sha256.New()}
		z, _ := gzip.NewWriterLevel(ch, l)
		z.Header = gzip.Header{Name: h.Name, Comment: h.Comment, Extra: h.Extra, OS: h.OS}
		if h.MTime != 0 {
			z.Header.ModTime = time.Unix(int64(h.MTime), 0)
		}
		ws, zs, hs = append(ws, z), append(zs, z), append(hs, ch)
	}
	if _, err := io.Copy(io.MultiWriter(ws...), s.tar); err != nil {
		return "", fmt.Errorf("read layer blob %s in %s: %w", d.Digest, img.Ref, err)
	}
	if _, err := s.finish(); err != nil {
		return "", err
	}
	var match []string
	for i, z := range zs {
		z.Close()
		sum := hs[i].sum()
		if fmt.Sprintf("%x", sum.sum[:]) == d.Digest.Hex {
			match = append(match, levelName(levels[i]))
		}
	}
	if len(match) > 0 {
		return strings.Join(match, " = "), nil
	}
	return fmt.Sprintf("not Go compress/gzip at any level (xfl %d%s)", h.XFL, xflHint(h.XFL)), nil
}

func levelName(l int) string {
	switch l {
	case gzip.HuffmanOnly:
		return "Go gzip HuffmanOnly (-2)"
	case gzip.DefaultCompression, 6:
		return "Go gzip level 6 (DefaultCompression)"
	}
	return fmt.Sprintf("Go gzip level %d", l)
}
