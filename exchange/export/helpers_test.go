package export

import (
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
)

// fixture is a layout shaped like BuildKit's out/<target>: index.json ->
// image index -> one image manifest per platform.
type fixture struct {
	tree, dir string
	top       v1.Hash   // the nested image index
	manifests []v1.Hash // its manifests, in order
}

// newFixture writes out/<target> under a temp tree with one random image
// per platform; tag becomes index.json's ref name annotation when set.
func newFixture(t *testing.T, target, tag string, platforms ...v1.Platform) fixture {
	t.Helper()
	tree := t.TempDir()
	dir := filepath.Join(tree, "out", target)
	inner := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	f := fixture{tree: tree, dir: dir}
	for i := range platforms {
		img, err := random.Image(2048, 2)
		if err != nil {
			t.Fatal(err)
		}
		img = mutate.MediaType(img, types.OCIManifestSchema1)
		h, _ := img.Digest()
		f.manifests = append(f.manifests, h)
		inner = mutate.AppendManifests(inner, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &platforms[i]}})
	}
	f.top, _ = inner.Digest()
	ann := map[string]string{oci.AnnotationImageName: "elsewhere/" + target + ":x"}
	if tag != "" {
		ann[ocispec.AnnotationRefName] = tag
	}
	outer := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: inner, Descriptor: v1.Descriptor{Annotations: ann}})
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := layout.Write(dir, outer); err != nil {
		t.Fatal(err)
	}
	return f
}

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

func openFixture(t *testing.T, f fixture, target string) *Source {
	t.Helper()
	s, err := Open(f.tree, target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// corruptBlob flips one byte of blob h in the layout dir.
func corruptBlob(t *testing.T, dir string, h v1.Hash) {
	t.Helper()
	p := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// firstLayer returns the digest of the first layer of manifest m.
func firstLayer(t *testing.T, dir string, m v1.Hash) v1.Hash {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "blobs", m.Algorithm, m.Hex))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mf, err := v1.ParseManifest(f)
	if err != nil {
		t.Fatal(err)
	}
	return mf.Layers[0].Digest
}

// quietRegistry is an in-process registry that does not log.
func quietRegistry() http.Handler {
	return registry.New(registry.Logger(log.New(io.Discard, "", 0)))
}
