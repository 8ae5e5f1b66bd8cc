package layout

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// testImage is a BuildKit-shaped image held in memory: two layers (one in
// a 0444 file, one in a 0644 file under src), a config, a manifest, an
// image index and index.json pointing at it. Five blobs.
type testImage struct {
	layers    []ocispec.Descriptor
	paths     []string
	blobs     map[digest.Digest][]byte // config, manifest, index
	manifest  ocispec.Descriptor
	index     ocispec.Descriptor
	indexJSON []byte
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newTestImage(t testing.TB, src string, p ocispec.Platform, content string) *testImage {
	t.Helper()
	img := &testImage{blobs: map[digest.Digest][]byte{}}
	var diffIDs []digest.Digest
	for i, mode := range []os.FileMode{0o444, 0o644} {
		b := []byte(strings.Repeat(content, i+1) + " layer")
		d := ocispec.Descriptor{MediaType: ocispec.MediaTypeImageLayer, Digest: digest.FromBytes(b), Size: int64(len(b))}
		path := filepath.Join(src, d.Digest.Encoded())
		os.Remove(path)
		if err := os.WriteFile(path, b, mode); err != nil {
			t.Fatal(err)
		}
		os.Chmod(path, mode)
		img.layers, img.paths = append(img.layers, d), append(img.paths, path)
		diffIDs = append(diffIDs, d.Digest)
	}
	put := func(mt string, v any) ocispec.Descriptor {
		b := mustJSON(t, v)
		d := ocispec.Descriptor{MediaType: mt, Digest: digest.FromBytes(b), Size: int64(len(b))}
		img.blobs[d.Digest] = b
		return d
	}
	cfg := ocispec.Image{Platform: p, RootFS: ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}}
	cd := put(ocispec.MediaTypeImageConfig, cfg)
	img.manifest = put(ocispec.MediaTypeImageManifest, ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cd, Layers: img.layers})
	md := img.manifest
	md.Platform = &p
	img.index = put(ocispec.MediaTypeImageIndex, ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{md}})
	top := img.index
	top.Annotations = map[string]string{ocispec.AnnotationRefName: "latest"}
	img.indexJSON = mustJSON(t, ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: []ocispec.Descriptor{top}})
	return img
}

// write writes img at dir with a Writer.
func (img *testImage) write(dir string) error {
	w, err := Create(dir)
	if err != nil {
		return err
	}
	defer w.Close()
	for i, l := range img.layers {
		if err := w.AddFile(img.paths[i], l.Digest, l.Size); err != nil {
			return err
		}
	}
	for _, d := range []ocispec.Descriptor{img.index, img.manifest} {
		if err := w.AddBytes(d.Digest, img.blobs[d.Digest]); err != nil {
			return err
		}
	}
	var m ocispec.Manifest
	json.Unmarshal(img.blobs[img.manifest.Digest], &m)
	if err := w.AddBytes(m.Config.Digest, img.blobs[m.Config.Digest]); err != nil {
		return err
	}
	return w.Commit(img.indexJSON)
}

// WriteLayout writes img at dir (the name the ported tests use).
func WriteLayout(dir string, img *testImage) error { return img.write(dir) }

// requireImage fails unless dir holds a readable layout of img.
func requireImage(t *testing.T, dir string, img *testImage) {
	t.Helper()
	got, err := Dir(dir).Resolve(amd64)
	if err != nil {
		t.Fatalf("layout unreadable: %v", err)
	}
	if got.ManifestDesc.Digest != img.manifest.Digest {
		t.Fatalf("layout holds %s, want %s", got.ManifestDesc.Digest, img.manifest.Digest)
	}
}

// assertNoTemps fails if a Writer left temp dirs next to dir.
func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}
