package explain

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/oci/transport"
)

// layerStream is an opened layer blob: verified, decompressed, and hashed
// after decompression so that its diff_id can be checked.
type layerStream struct {
	img    *transport.Store
	desc   v1.Descriptor
	blob   io.ReadCloser
	br     *bufio.Reader
	gz     *gzipHeader // nil when the layer is not gzip
	zr     *gzip.Reader
	tar    io.Reader // the uncompressed tar, teed into diff
	diff   hash.Hash
	closed bool
}

func openLayer(img *transport.Store, d v1.Descriptor) (*layerStream, error) {
	blob, err := img.Blob(d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	s := &layerStream{img: img, desc: d, blob: blob, br: bufio.NewReaderSize(blob, 64<<10), diff: sha256.New()}
	head, _ := s.br.Peek(4096)
	var raw io.Reader = s.br
	switch {
	case len(head) >= 2 && head[0] == 0x1f && head[1] == 0x8b:
		s.gz = parseGzipHeader(head)
		if s.zr, err = gzip.NewReader(s.br); err != nil {
			blob.Close()
			return nil, fmt.Errorf("layer blob %s in %s: %w", d.Digest, img.Ref, err)
		}
		raw = s.zr
	case len(head) >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd:
		blob.Close()
		return nil, fmt.Errorf("layer blob %s in %s: zstd layers are not supported", d.Digest, img.Ref)
	}
	s.tar = io.TeeReader(raw, s.diff)
	return s, nil
}

// finish reads the rest of the stream, which completes the blob's digest
// check, and returns the diff_id (the uncompressed digest).
func (s *layerStream) finish() (v1.Hash, error) {
	if _, err := io.Copy(io.Discard, s.tar); err != nil {
		return v1.Hash{}, fmt.Errorf("read layer blob %s in %s: %w", s.desc.Digest, s.img.Ref, err)
	}
	if _, err := io.Copy(io.Discard, s.br); err != nil {
		return v1.Hash{}, fmt.Errorf("read layer blob %s in %s: %w", s.desc.Digest, s.img.Ref, err)
	}
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s.diff.Sum(nil))}, nil
}

func (s *layerStream) Close() error {
	if s.closed {
		return nil
	}
	s.closed = true
	return s.blob.Close()
}

// checkDiffID verifies a layer's content against the config's diff_id.
func (s *layerStream) checkDiffID(got, want v1.Hash) error {
	if want == (v1.Hash{}) || got == want {
		return nil
	}
	return fmt.Errorf("layer blob %s in %s: uncompressed content hashes to %s, the config's diff_id is %s",
		s.desc.Digest, s.img.Ref, got, want)
}

// layer compares two layers. Equal digests are only verified; otherwise the
// tars are compared entry by entry, then the tar bytes, then the gzip stream.
func (c *comparer) layer(path string, da, db v1.Descriptor, idA, idB v1.Hash) error {
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
	found := 0
	if da.Digest != db.Digest {
		err = compareTars(path, sa.tar, sb.tar, func(d Difference) { found++; c.add(d) })
		if err != nil {
			return err
		}
	}
	gotA, err := sa.finish()
	if err != nil {
		return err
	}
	gotB, err := sb.finish()
	if err != nil {
		return err
	}
	if err := sa.checkDiffID(gotA, idA); err != nil {
		return err
	}
	if err := sb.checkDiffID(gotB, idB); err != nil {
		return err
	}
	if da.Digest == db.Digest || found > 0 {
		return nil
	}
	if gotA != gotB {
		return c.tarBytes(path, da, db)
	}
	return c.gzipStreams(path, da, db, sa.gz, sb.gz)
}
