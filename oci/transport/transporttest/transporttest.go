package transporttest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Entry is one tar entry: a header and, for regular files, its content.
type Entry struct {
	Header tar.Header
	Body   string
}

// Epoch is the mtime of the default entries (SOURCE_DATE_EPOCH=1).
var Epoch = time.Unix(1, 0)

// File returns a regular file entry with mode 0644, owner 0:0, mtime Epoch.
func File(name, body string) Entry {
	return Entry{Header: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644,
		Size: int64(len(body)), ModTime: Epoch, Format: tar.FormatPAX}, Body: body}
}

// Dir returns a directory entry with mode 0755.
func Dir(name string) Entry {
	return Entry{Header: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: Epoch, Format: tar.FormatPAX}}
}

// Symlink returns a symbolic link entry.
func Symlink(name, target string) Entry {
	return Entry{Header: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target,
		Mode: 0o777, ModTime: Epoch, Format: tar.FormatPAX}}
}

// Tar writes entries as an uncompressed tar, in order.
func Tar(t testing.TB, entries []Entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.Header
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("write tar header %s: %v", h.Name, err)
		}
		if _, err := io.WriteString(tw, e.Body); err != nil {
			t.Fatalf("write tar body %s: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("close tar: %v", err)
	}
	return buf.Bytes()
}

// Gzip compresses b with Go's gzip at level with header hdr.
func Gzip(t testing.TB, b []byte, level int, hdr gzip.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, level)
	if err != nil {
		t.Fatalf("gzip level %d: %v", level, err)
	}
	zw.Header = hdr
	if _, err := zw.Write(b); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	if err := zw.Close(); err != nil {
		t.Fatalf("gzip: %v", err)
	}
	return buf.Bytes()
}

// Layer wraps a gzip blob as a layer whose digest is that blob's.
func Layer(t testing.TB, blob []byte) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		t.Fatalf("layer: %v", err)
	}
	return l
}

// Spec describes a test image.
type Spec struct {
	// Layers are gzip layer blobs, in order.
	Layers [][]byte
	// Config edits the config file after the layers are appended.
	Config func(*v1.ConfigFile)
	// ManifestAnnotations and IndexAnnotations annotate the image manifest
	// and index.json.
	ManifestAnnotations, IndexAnnotations map[string]string
	// Tag is the org.opencontainers.image.ref.name of the manifest.
	Tag string
}

// Image builds the OCI image s describes.
func Image(t testing.TB, s Spec) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, b := range s.Layers {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{Layer: Layer(t, b), MediaType: types.OCILayer,
			History: v1.History{Created: v1.Time{Time: Epoch}, CreatedBy: "COPY . / # buildkit", Comment: "buildkit.dockerfile.v0"}})
		if err != nil {
			t.Fatalf("append layer: %v", err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: Epoch}
	if s.Config != nil {
		s.Config(cf)
	}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatalf("set config: %v", err)
	}
	if s.ManifestAnnotations != nil {
		img = mutate.Annotations(img, s.ManifestAnnotations).(v1.Image)
	}
	return img
}

// WriteLayout writes the image s describes as an OCI layout at dir, with
// index.json pointing at its manifest, and returns the image.
func WriteLayout(t testing.TB, dir string, s Spec) v1.Image {
	t.Helper()
	img := Image(t, s)
	desc := v1.Descriptor{}
	if s.Tag != "" {
		desc.Annotations = map[string]string{ocispec.AnnotationRefName: s.Tag}
	}
	var idx v1.ImageIndex = mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img, Descriptor: desc})
	if s.IndexAnnotations != nil {
		idx = mutate.Annotations(idx, s.IndexAnnotations).(v1.ImageIndex)
	}
	if _, err := layout.Write(dir, idx); err != nil {
		t.Fatalf("write layout %s: %v", dir, err)
	}
	return img
}

// WriteOCIArchive writes layout directory dir as a tar at file.
func WriteOCIArchive(t testing.TB, dir, file string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.AddFS(os.DirFS(dir)); err != nil {
		t.Fatalf("tar %s: %v", dir, err)
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("tar %s: %v", dir, err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatalf("write %s: %v", file, err)
	}
}

// WriteDockerArchive writes img as a docker save archive at file.
func WriteDockerArchive(t testing.TB, img v1.Image, file string) {
	t.Helper()
	tag, err := name.NewTag("example.org/test:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		t.Fatalf("write docker-archive %s: %v", file, err)
	}
}

// BlobPath is the file of blob h in layout dir.
func BlobPath(dir string, h v1.Hash) string {
	return filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
}

// DefaultEntries is a small layer: a directory and three text files.
func DefaultEntries() []Entry {
	return []Entry{
		Dir("etc/"),
		File("etc/a.txt", "alpha\n"),
		File("etc/b.txt", "bravo\nline two\n"),
		File("etc/c.txt", "charlie\n"),
	}
}
