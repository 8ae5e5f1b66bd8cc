package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"time"
)

// epoch is the modification time of every bundle member: bundles of the
// same files are identical.
var epoch = time.Unix(0, 0).UTC()

// hashCopy copies r to w and returns the SHA-256 hex of what it copied.
func hashCopy(w io.Writer, r io.Reader) (string, int64, error) {
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	return hex.EncodeToString(h.Sum(nil)), n, err
}
