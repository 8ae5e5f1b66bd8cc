package export

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stevedore-build/stevedore/oci/transport"
)

// TestFlatLayout: a layout whose index.json points straight at an image
// manifest (no nested index) exports and pushes that manifest unchanged.
func TestFlatLayout(t *testing.T) {
	tree := t.TempDir()
	dir := filepath.Join(tree, "out", "core-flat")
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	want, _ := img.Digest()
	os.MkdirAll(dir, 0o755)
	if _, err := layout.Write(dir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	s, err := Open(tree, "core-flat")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Manifest != want || s.Top.Digest != want {
		t.Fatalf("Manifest %s Top %s, want both %s", s.Manifest, s.Top.Digest, want)
	}
	archive := filepath.Join(t.TempDir(), "flat.tar")
	if err := s.WriteOCIArchive(archive); err != nil {
		t.Fatal(err)
	}
	got, err := transport.Open(transport.Ref{Kind: transport.KindOCIArchive, Path: archive})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	checkIndexJSON(t, got.IndexJSON, want, "stagex/core-flat:latest")

	srv := httptest.NewServer(quietRegistry())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	if _, err := s.Push(context.Background(), host+"/stagex/core-flat:latest", PushOptions{}); err != nil {
		t.Fatal(err)
	}
	ref, _ := name.ParseReference(host + "/stagex/core-flat:latest")
	d, err := remote.Head(ref)
	if err != nil || d.Digest != want {
		t.Errorf("registry tag -> %v (err %v), want %s", d, err, want)
	}
}
