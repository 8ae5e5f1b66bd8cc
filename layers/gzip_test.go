package layers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"io"
	"strings"
	"testing"
)

// pseudoRandom returns n deterministic, incompressible-looking bytes.
func pseudoRandom(n int) []byte {
	out := make([]byte, 0, n+sha256.Size)
	seed := sha256.Sum256([]byte("stevedore"))
	for len(out) < n {
		seed = sha256.Sum256(seed[:])
		out = append(out, seed[:]...)
	}
	return out[:n]
}

// TestGzipPinned pins the compressed bytes of known inputs: if a Go release
// changes compress/flate, every layer digest changes with it, and this test
// says so before a parity run does.
func TestGzipPinned(t *testing.T) {
	text := strings.Repeat("the quick brown fox jumps over the lazy dog\n", 5000)
	cases := []struct {
		name   string
		in     []byte
		diffID string
		digest string
		size   int64
	}{
		{"empty layer", make([]byte, 1024), emptyDiffID, emptyBlobDigest, 32},
		{"text", []byte(text), pinnedTextDiffID, pinnedTextDigest, pinnedTextSize},
		{"random 1 MiB", pseudoRandom(1 << 20), pinnedRandomDiffID, pinnedRandomDigest, pinnedRandomSize},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			got, err := Gzip(&buf, bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got.DiffID.String() != tc.diffID || got.Digest.String() != tc.digest || got.Size != tc.size {
				t.Errorf("Gzip = %s %s %d, want %s %s %d", got.DiffID, got.Digest, got.Size, tc.diffID, tc.digest, tc.size)
			}
			if int64(buf.Len()) != got.Size {
				t.Errorf("wrote %d bytes, Size %d", buf.Len(), got.Size)
			}
			if h := buf.Bytes()[:10]; !bytes.Equal(h, []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}) {
				t.Errorf("gzip header %x, want 1f8b0800000000000000ff", h)
			}
			zr, err := gzip.NewReader(&buf)
			if err != nil {
				t.Fatal(err)
			}
			zr.Multistream(false)
			back, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(back, tc.in) {
				t.Errorf("round trip: %v, equal %v", err, bytes.Equal(back, tc.in))
			}
		})
	}
}

// TestGzipSplitWrites checks that how the tar reaches the compressor does
// not change the bytes (BuildKit streams 32 KiB chunks).
func TestGzipSplitWrites(t *testing.T) {
	in := pseudoRandom(300000)
	var whole bytes.Buffer
	want, err := Gzip(&whole, bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	for _, chunk := range []int{1, 511, 32 << 10} {
		var buf bytes.Buffer
		got, err := Gzip(&buf, io.LimitReader(&chunkReader{b: in, n: chunk}, int64(len(in))))
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("chunk %d: %+v, want %+v", chunk, got, want)
		}
	}
}

type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[n:]
	return n, nil
}
