package layers

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// makeTar writes headers (regular files get Size bytes of 'x').
func makeTar(t testing.TB, hdrs []tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		mustOK(t, tw.WriteHeader(&h))
		if h.Typeflag == tar.TypeReg && h.Size > 0 {
			_, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
			mustOK(t, err)
		}
	}
	mustOK(t, tw.Close())
	return buf.Bytes()
}

// blobOf returns the Blob describing tarBytes, gzipped or not.
func blobOf(t testing.TB, tarBytes []byte, gzipped bool) Blob {
	t.Helper()
	if gzipped {
		var buf bytes.Buffer
		b, err := Gzip(&buf, bytes.NewReader(tarBytes))
		mustOK(t, err)
		return b
	}
	h := sha256Hash(tarBytes)
	return Blob{Digest: h, DiffID: h, Size: int64(len(tarBytes))}
}

func gzipBytes(t testing.TB, tarBytes []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	_, err := Gzip(&buf, bytes.NewReader(tarBytes))
	mustOK(t, err)
	return buf.Bytes()
}

func sha256Hash(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
