package export

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/oci/transport"
)

func TestOpenReadsDigestAndTag(t *testing.T) {
	for _, tc := range []struct{ tag, want string }{{"", "latest"}, {"1.4", "1.4"}} {
		f := newFixture(t, "core-box", tc.tag, amd64)
		s := openFixture(t, f, "core-box")
		if s.Tag != tc.want || s.Name() != "stagex/core-box:"+tc.want {
			t.Errorf("tag %q: got Tag %q Name %q, want %q", tc.tag, s.Tag, s.Name(), tc.want)
		}
		if s.Manifest != f.manifests[0] || s.Top.Digest != f.top {
			t.Errorf("got manifest %s top %s, want %s %s", s.Manifest, s.Top.Digest, f.manifests[0], f.top)
		}
	}
}

// TestOCIFormsKeepBlobs: both OCI forms hold every blob of out/ byte for
// byte, an index.json pointing to the same image index, named stagex/...
func TestOCIFormsKeepBlobs(t *testing.T) {
	f := newFixture(t, "core-box", "1.0", amd64, v1.Platform{OS: "linux", Architecture: "arm64"})
	s := openFixture(t, f, "core-box")
	out := t.TempDir()
	for _, tc := range []struct {
		name  string
		write func(string) error
		ref   func(string) transport.Ref
	}{
		{"oci-dir", s.WriteOCIDir, func(p string) transport.Ref { return transport.Ref{Kind: transport.KindLayout, Path: p} }},
		{"oci-archive", s.WriteOCIArchive, func(p string) transport.Ref { return transport.Ref{Kind: transport.KindOCIArchive, Path: p} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(out, tc.name)
			if err := tc.write(p); err != nil {
				t.Fatal(err)
			}
			got, err := transport.Open(tc.ref(p))
			if err != nil {
				t.Fatal(err)
			}
			defer got.Close()
			checkIndexJSON(t, got.IndexJSON, f.top, "stagex/core-box:1.0")
			descs, err := s.blobs()
			if err != nil {
				t.Fatal(err)
			}
			if len(descs) != 1+2*(1+1+2) {
				t.Errorf("got %d blobs, want 9", len(descs))
			}
			for _, d := range descs {
				want, _ := s.img.ReadBlob(v1.Descriptor{Digest: d.Digest, Size: d.Size})
				have, err := got.ReadBlob(v1.Descriptor{Digest: d.Digest, Size: d.Size})
				if err != nil || !bytes.Equal(have, want) {
					t.Errorf("blob %s differs (err %v)", d.Digest, err)
				}
			}
		})
	}
}

func checkIndexJSON(t *testing.T, raw []byte, top v1.Hash, name string) {
	t.Helper()
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		t.Fatal(err)
	}
	if len(idx.Manifests) != 1 || idx.Manifests[0].Digest != top {
		t.Fatalf("index.json = %s, want one descriptor of %s", raw, top)
	}
	if got := idx.Manifests[0].Annotations[oci.AnnotationImageName]; got != name {
		t.Errorf("index.json name = %q, want %q", got, name)
	}
}

// TestDockerArchive: the archive names stagex/<target>:<tag> and holds the
// recorded image's config and layers unchanged.
func TestDockerArchive(t *testing.T) {
	f := newFixture(t, "core-box", "", amd64, v1.Platform{OS: "linux", Architecture: "arm64"})
	s := openFixture(t, f, "core-box")
	p := filepath.Join(t.TempDir(), "box.tar")
	if err := s.WriteDockerArchive(p); err != nil {
		t.Fatal(err)
	}
	mf, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(p) })
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"stagex/core-box:latest"}, mf[0].RepoTags); diff != "" {
		t.Errorf("RepoTags (-want +got):\n%s", diff)
	}
	got, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	want, err := s.Image()
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := want.Digest(); d != f.manifests[0] {
		t.Errorf("exported image %s, want the recorded manifest %s", d, f.manifests[0])
	}
	if diff := cmp.Diff(layerDigests(t, want), layerDigests(t, got)); diff != "" {
		t.Errorf("config and layers (-out +archive):\n%s", diff)
	}
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	out := []v1.Hash{cfg}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestCorruptBlobRefused: a layer that does not match its digest fails
// every form, naming the blob, and leaves no output behind.
func TestCorruptBlobRefused(t *testing.T) {
	f := newFixture(t, "core-box", "", amd64)
	bad := firstLayer(t, f.dir, f.manifests[0])
	corruptBlob(t, f.dir, bad)
	s := openFixture(t, f, "core-box")
	out := t.TempDir()
	for _, tc := range []struct {
		name  string
		write func(string) error
	}{
		{"oci-dir", s.WriteOCIDir},
		{"oci-archive", s.WriteOCIArchive},
		{"docker-archive", s.WriteDockerArchive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(out, tc.name)
			err := tc.write(p)
			if err == nil || !strings.Contains(err.Error(), bad.String()) {
				t.Fatalf("err = %v, want one naming %s", err, bad)
			}
			left, _ := os.ReadDir(out)
			if len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}

// TestOCIDirRefusesOtherDirs: -o pointing at a folder that is not a layout
// is an error, not a deletion.
func TestOCIDirRefusesOtherDirs(t *testing.T) {
	f := newFixture(t, "core-box", "", amd64)
	s := openFixture(t, f, "core-box")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "precious"), []byte("x"), 0o644)
	if err := s.WriteOCIDir(dir); err == nil || !strings.Contains(err.Error(), "not an OCI layout") {
		t.Fatalf("err = %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "precious")); err != nil {
		t.Errorf("precious file gone: %v", err)
	}
	layoutDir := filepath.Join(t.TempDir(), "box")
	for i := 0; i < 2; i++ { // the second write replaces the first
		if err := s.WriteOCIDir(layoutDir); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
	}
}

func TestWithTag(t *testing.T) {
	for _, tc := range []struct{ ref, tag, want string }{
		{"127.0.0.1:5000/stagex/core-box", "1.2", "127.0.0.1:5000/stagex/core-box:1.2"},
		{"127.0.0.1:5000/stagex/core-box:v", "1.2", "127.0.0.1:5000/stagex/core-box:v"},
		{"127.0.0.1:5000/stagex/core-box@sha256:" + strings.Repeat("a", 64), "1.2", "127.0.0.1:5000/stagex/core-box@sha256:" + strings.Repeat("a", 64)},
		{"localhost/core-box", "", "localhost/core-box"},
	} {
		if got := withTag(tc.ref, tc.tag); got != tc.want {
			t.Errorf("withTag(%q, %q) = %q, want %q", tc.ref, tc.tag, got, tc.want)
		}
	}
}
