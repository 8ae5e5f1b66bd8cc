package imagestore

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	ocilayout "github.com/stevedore-build/stevedore/oci/layout"
)

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// testIndex is an index with an amd64 and an arm64 image of random layers.
func testIndex(t *testing.T) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, arch := range []string{"arm64", "amd64"} {
		img, err := random.Image(512, 2)
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.ConfigFile(img, &v1.ConfigFile{OS: "linux", Architecture: arch, RootFS: mustCfg(t, img).RootFS})
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}}})
	}
	return mutate.AppendManifests(empty.Index, adds...)
}

func mustCfg(t *testing.T, img v1.Image) *v1.ConfigFile {
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return cf
}

// writeLayout writes ix as a layout whose index.json entry is named ref.
func writeLayout(t *testing.T, ix v1.ImageIndex, ref string) string {
	t.Helper()
	dir := t.TempDir()
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendIndex(ix, layout.WithAnnotations(map[string]string{ocispec.AnnotationRefName: ref})); err != nil {
		t.Fatal(err)
	}
	return dir
}

func digestOf(t *testing.T, ix v1.ImageIndex) v1.Hash {
	h, err := ix.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newResolver(t *testing.T, o Options) *Resolver {
	t.Helper()
	if o.StoreDir == "" {
		o.StoreDir = filepath.Join(t.TempDir(), "images")
	}
	if o.LockFile == "" {
		o.LockFile = filepath.Join(t.TempDir(), "stevedore.lock")
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// checkLayout reads what Resolve returned as the executor does.
func checkLayout(t *testing.T, dir string, ix v1.ImageIndex) {
	t.Helper()
	l, err := ocilayout.Dir(dir).Resolve(amd64)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := ix.IndexManifest()
	if want := im.Manifests[1].Digest; l.ManifestDesc.Digest.String() != want.String() {
		t.Errorf("manifest %s, want the amd64 one %s", l.ManifestDesc.Digest, want)
	}
}

func TestResolveFromLayoutPinsAndGoesOffline(t *testing.T) {
	ix := testIndex(t)
	src, err := ParseSource(writeLayout(t, ix, "example.test/base:1"))
	if err != nil {
		t.Fatal(err)
	}
	store, lock := filepath.Join(t.TempDir(), "images"), filepath.Join(t.TempDir(), "stevedore.lock")
	r := newResolver(t, Options{Sources: []Source{src}, StoreDir: store, LockFile: lock})
	dir, err := r.Resolve(context.Background(), "example.test/base:1", amd64)
	if err != nil {
		t.Fatal(err)
	}
	checkLayout(t, dir, ix)
	raw, _ := os.ReadFile(lock)
	wantLine := "example.test/base:1 " + digestOf(t, ix).String() + " " + src.String() + "\n"
	if !strings.HasSuffix(string(raw), wantLine) {
		t.Errorf("lock file:\n%s\nwant it to end with %q", raw, wantLine)
	}
	// Offline, without sources: the pin and the store are enough.
	off := newResolver(t, Options{StoreDir: store, LockFile: lock, Offline: true})
	dir2, err := off.Resolve(context.Background(), "example.test/base:1", amd64)
	if err != nil || dir2 != dir {
		t.Fatalf("offline: %q, %v; want %q", dir2, err, dir)
	}
	// Offline, an unpinned tag is an error naming it.
	_, err = off.Resolve(context.Background(), "example.test/base:2", amd64)
	if err == nil || !strings.Contains(err.Error(), "resolve example.test/base:2: not pinned in "+lock+" and --offline") {
		t.Errorf("unpinned offline: %v", err)
	}
}

// tamper serves a registry but flips a byte of one blob.
func tamper(h http.Handler, blob string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if !strings.HasSuffix(req.URL.Path, "/blobs/"+blob) || req.Method != http.MethodGet {
			h.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		body[len(body)/2] ^= 0xff
		w.WriteHeader(rec.Code)
		w.Write(body)
	})
}

func TestResolveFromRegistry(t *testing.T) {
	ix := testIndex(t)
	im, _ := ix.IndexManifest()
	amdImg, _ := ix.Image(im.Manifests[1].Digest)
	layers, _ := amdImg.Layers()
	bad, _ := layers[0].Digest()
	for _, tc := range []struct {
		name    string
		tamper  bool
		wantErr string
	}{
		{name: "honest"},
		{name: "different bytes", tamper: true, wantErr: "copy blob " + bad.String() + " from registry: error verifying sha256 checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
			if tc.tamper {
				h = tamper(h, bad.String())
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			ref := strings.TrimPrefix(srv.URL, "http://") + "/base/img:1"
			tag, _ := name.ParseReference(ref)
			if err := remote.WriteIndex(tag, ix); err != nil {
				t.Fatal(err)
			}
			r := newResolver(t, Options{Sources: []Source{&Registry{}}})
			dir, err := r.Resolve(context.Background(), ref, amd64)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, dir, ix)
			if got := r.Lock()[ref]; got.Digest != digestOf(t, ix) || got.Source != "registry" {
				t.Errorf("pin %+v, want %s from registry", got, digestOf(t, ix))
			}
		})
	}
}

func TestLockRoundTrip(t *testing.T) {
	h := v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	l := Lock{"b:1": {Digest: h, Source: "registry"}, "a:1": {Digest: h, Source: "oci:/x y"}}
	got, err := ParseLock("stevedore.lock", l.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), l.Bytes()) || got["a:1"].Source != "oci:/x y" {
		t.Errorf("round trip:\n%s", got.Bytes())
	}
	if i, j := bytes.Index(l.Bytes(), []byte("a:1")), bytes.Index(l.Bytes(), []byte("b:1")); i > j {
		t.Errorf("not sorted:\n%s", l.Bytes())
	}
	for _, bad := range []string{"a:1 sha256:12 registry\n", "a:1\n", "a:1 " + h.String() + " x\na:1 " + h.String() + " y\n"} {
		if _, err := ParseLock("stevedore.lock", []byte(bad)); err == nil || !strings.HasPrefix(err.Error(), "stevedore.lock:") {
			t.Errorf("ParseLock(%q) = %v, want an error naming the line", bad, err)
		}
	}
}

// One layout holds every platform asked for; other platforms of the index
// are left out.
func TestResolvePlatforms(t *testing.T) {
	ix := testIndex(t)
	src, err := ParseSource("oci:" + writeLayout(t, ix, "example.test/base:1"))
	if err != nil {
		t.Fatal(err)
	}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64"}
	for _, tc := range []struct {
		name string
		want []ocispec.Platform
		miss []ocispec.Platform
	}{
		{"amd64", []ocispec.Platform{amd64}, []ocispec.Platform{arm64}},
		{"both", []ocispec.Platform{arm64, amd64, arm64}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newResolver(t, Options{Sources: []Source{src}})
			dir, err := r.ResolvePlatforms(context.Background(), "example.test/base:1", tc.want)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.want {
				if _, err := ocilayout.Dir(dir).Resolve(p); err != nil {
					t.Errorf("%s: %v", p.Architecture, err)
				}
			}
			for _, p := range tc.miss {
				if _, err := ocilayout.Dir(dir).Resolve(p); err == nil {
					t.Errorf("%s: copied, want it left out", p.Architecture)
				}
			}
		})
	}
}
