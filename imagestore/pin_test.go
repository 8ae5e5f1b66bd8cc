package imagestore

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// An image whose blobs fail verification is not pinned: the next build
// resolves the tag again instead of trusting a digest nobody verified.
func TestFailedImageIsNotPinned(t *testing.T) {
	ix := testIndex(t)
	im, _ := ix.IndexManifest()
	amdImg, _ := ix.Image(im.Manifests[1].Digest)
	layers, _ := amdImg.Layers()
	bad, _ := layers[0].Digest()
	srv := httptest.NewServer(tamper(registry.New(registry.Logger(log.New(io.Discard, "", 0))), bad.String()))
	defer srv.Close()
	ref := strings.TrimPrefix(srv.URL, "http://") + "/base/img:1"
	tag, _ := name.ParseReference(ref)
	if err := remote.WriteIndex(tag, ix); err != nil {
		t.Fatal(err)
	}
	lock := filepath.Join(t.TempDir(), "stevedore.lock")
	r := newResolver(t, Options{Sources: []Source{&Registry{}}, LockFile: lock})
	if _, err := r.Resolve(context.Background(), ref, amd64); err == nil {
		t.Fatal("Resolve of a tampered image succeeded")
	}
	if pin, ok := r.Lock()[ref]; ok {
		t.Errorf("the failed image is pinned in memory: %+v", pin)
	}
	if raw, err := os.ReadFile(lock); err == nil && strings.Contains(string(raw), ref) {
		t.Errorf("the failed image is pinned in %s:\n%s", lock, raw)
	}
}

// Two builds that resolve different tags at the same time both keep their
// pins: each adds its pin to the file as it is now, under a file lock.
func TestConcurrentBuildsKeepEachOthersPins(t *testing.T) {
	ix := testIndex(t)
	src, err := ParseSource(writeLayout(t, ix, "example.test/base:1"))
	if err != nil {
		t.Fatal(err)
	}
	ix2 := testIndex(t)
	src2, err := ParseSource(writeLayout(t, ix2, "example.test/other:2"))
	if err != nil {
		t.Fatal(err)
	}
	store, lock := filepath.Join(t.TempDir(), "images"), filepath.Join(t.TempDir(), "stevedore.lock")
	// Both read the (empty) lock file before either writes.
	a := newResolver(t, Options{Sources: []Source{src}, StoreDir: store, LockFile: lock})
	b := newResolver(t, Options{Sources: []Source{src2}, StoreDir: store, LockFile: lock})
	if _, err := a.Resolve(context.Background(), "example.test/base:1", amd64); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Resolve(context.Background(), "example.test/other:2", amd64); err != nil {
		t.Fatal(err)
	}
	l, err := ReadLock(lock)
	if err != nil {
		t.Fatal(err)
	}
	if l["example.test/base:1"].Digest != digestOf(t, ix) || l["example.test/other:2"].Digest != digestOf(t, ix2) {
		t.Errorf("lock file lost a pin:\n%s", l.Bytes())
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(lock), ".stevedore.lock.tmp-*")); len(left) > 0 {
		t.Errorf("temp files left: %v", left)
	}
}
