package export

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// TestPushKeepsDigests pushes to an in-process registry on 127.0.0.1 and
// reads back the index and each platform's manifest by digest. The real
// registry is exercised by tests/exchange.
func TestPushKeepsDigests(t *testing.T) {
	srv := httptest.NewServer(quietRegistry())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	f := newFixture(t, "core-box", "", amd64, v1.Platform{OS: "linux", Architecture: "arm64"})
	s := openFixture(t, f, "core-box")
	p, err := s.Push(context.Background(), host+"/stagex/core-box:latest", PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.Digest != f.top || p.Manifest != f.manifests[0] {
		t.Errorf("pushed %s (manifest %s), want %s (%s)", p.Digest, p.Manifest, f.top, f.manifests[0])
	}
	for _, h := range append([]v1.Hash{f.top}, f.manifests...) {
		ref, _ := name.NewDigest(host + "/stagex/core-box@" + h.String())
		d, err := remote.Head(ref)
		if err != nil || d.Digest != h {
			t.Errorf("registry has %v (err %v), want %s", d, err, h)
		}
	}
}

func TestPushCorruptRefused(t *testing.T) {
	srv := httptest.NewServer(quietRegistry())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	f := newFixture(t, "core-box", "", amd64)
	bad := firstLayer(t, f.dir, f.manifests[0])
	corruptBlob(t, f.dir, bad)
	s := openFixture(t, f, "core-box")
	_, err := s.Push(context.Background(), host+"/stagex/core-box:latest", PushOptions{})
	if err == nil || !strings.Contains(err.Error(), bad.Hex) {
		t.Fatalf("err = %v, want one naming %s", err, bad)
	}
}
