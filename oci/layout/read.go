package layout

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// MaxJSON bounds every JSON document read into memory: index.json, image
// indexes, manifests and configs (real ones are a few KiB). It is the
// largest of the limits the former three readers had (4, 16 and 64 MiB),
// so nothing one of them read is refused now.
const MaxJSON = 64 << 20

// Files gives the files of a layout by slash-separated name ("index.json",
// "blobs/sha256/<hex>"), unverified: a directory, or an archive.
type Files interface {
	Open(name string) (io.ReadCloser, error)
}

// Layout is an OCI image layout opened for verified reading.
type Layout struct {
	name  string // for messages: the directory or archive
	dir   string // the directory; empty for FromFiles
	files Files
}

// Dir opens the layout in directory dir. Nothing is read yet.
func Dir(dir string) *Layout { return &Layout{name: dir, dir: dir, files: dirFiles(dir)} }

// FromFiles opens the layout whose files f gives; name names it in errors.
func FromFiles(name string, f Files) *Layout { return &Layout{name: name, files: f} }

// String is the directory or archive the layout is read from.
func (l *Layout) String() string { return l.name }

type dirFiles string

func (d dirFiles) Open(name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(string(d), filepath.FromSlash(name)))
}

// IndexJSON reads index.json's bytes, bounded by MaxJSON.
func (l *Layout) IndexJSON() ([]byte, error) {
	raw, err := l.readAll("index.json")
	if err != nil {
		return nil, fmt.Errorf("read layout %s: %w", l.name, err)
	}
	return raw, nil
}

// Index reads index.json (IndexJSON) and parses it.
func (l *Layout) Index() ([]byte, ocispec.Index, error) {
	var idx ocispec.Index
	raw, err := l.IndexJSON()
	if err != nil {
		return nil, idx, err
	}
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, idx, fmt.Errorf("read layout %s: parse index.json: %w", l.name, err)
	}
	return raw, idx, nil
}

func (l *Layout) readAll(name string) ([]byte, error) {
	rc, err := l.files.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, MaxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > MaxJSON {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, MaxJSON)
	}
	return b, nil
}

// CheckDigest refuses digests that are not sha256 with 64 lowercase hex
// digits, so that a hostile index.json cannot make a reader open, nor a
// writer create, a path outside blobs/.
func CheckDigest(dg digest.Digest) error {
	if !strings.HasPrefix(string(dg), "sha256:") {
		return fmt.Errorf("unsupported digest %q", dg)
	}
	if err := dg.Validate(); err != nil {
		return fmt.Errorf("invalid digest %q", dg)
	}
	return nil
}

// blobName is where a layout keeps blob dg, slash-separated.
func blobName(dg digest.Digest) string {
	return path.Join("blobs", dg.Algorithm().String(), dg.Encoded())
}

// BlobPath is the file of blob dg in the directory layout dir, after
// CheckDigest.
func BlobPath(dir string, dg digest.Digest) (string, error) {
	if err := CheckDigest(dg); err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.FromSlash(blobName(dg))), nil
}

// Blob opens blob dg for streaming. Reading it to the end returns an
// error naming the blob and the layout when its content does not hash to
// dg or, when size >= 0, has another size.
func (l *Layout) Blob(dg digest.Digest, size int64) (io.ReadCloser, error) {
	if err := CheckDigest(dg); err != nil {
		return nil, fmt.Errorf("read blob %s of %s: %w", dg, l.name, err)
	}
	rc, err := l.files.Open(blobName(dg))
	if err != nil {
		return nil, fmt.Errorf("read blob %s of %s: %w", dg, l.name, err)
	}
	return Verify(rc, dg, size, l.name), nil
}

// ReadBlob reads the JSON document blob dg of size bytes (at most
// MaxJSON), verified.
func (l *Layout) ReadBlob(dg digest.Digest, size int64) ([]byte, error) {
	if size < 0 || size > MaxJSON {
		return nil, fmt.Errorf("read blob %s of %s: size %d out of range (at most %d)", dg, l.name, size, MaxJSON)
	}
	rc, err := l.Blob(dg, size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// VerifyBlob re-hashes blob dg to the end.
func (l *Layout) VerifyBlob(dg digest.Digest, size int64) error {
	rc, err := l.Blob(dg, size)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}
