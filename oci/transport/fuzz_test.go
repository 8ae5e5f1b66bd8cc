package transport_test

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/oci/transport"
	"github.com/stevedore-build/stevedore/oci/transport/transporttest"
)

// FuzzOpenArchive feeds arbitrary bytes to Open as an oci-archive or a
// docker-archive (base images from --image-source) and reads every blob
// it can reach: nothing may panic, and every blob read without error must
// hash to its digest.
func FuzzOpenArchive(f *testing.F) {
	dir := f.TempDir()
	layout := filepath.Join(dir, "layout")
	blob := transporttest.Gzip(f, transporttest.Tar(f, transporttest.DefaultEntries()), gzip.DefaultCompression, gzip.Header{})
	img := transporttest.WriteLayout(f, layout, transporttest.Spec{Layers: [][]byte{blob}, Tag: "latest"})
	oci, docker := filepath.Join(dir, "oci.tar"), filepath.Join(dir, "docker.tar")
	transporttest.WriteOCIArchive(f, layout, oci)
	transporttest.WriteDockerArchive(f, img, docker)
	for _, p := range []string{oci, docker} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, p == docker)
	}
	f.Fuzz(func(t *testing.T, data []byte, dockerArchive bool) {
		p := filepath.Join(t.TempDir(), "image.tar")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		ref := transport.Ref{Kind: transport.KindOCIArchive, Path: p}
		if dockerArchive {
			ref.Kind = transport.KindDockerArchive
		}
		img, err := transport.Open(ref)
		if err != nil {
			return
		}
		defer img.Close()
		budget := 64
		for _, d := range img.Manifests {
			readAll(t, img, d, 0, &budget)
		}
	})
}

// readAll reads d's blob and, for an index or manifest, what it names,
// within budget blobs, checking each blob read against its digest.
func readAll(t *testing.T, img *transport.Store, d v1.Descriptor, depth int, budget *int) {
	if *budget--; *budget < 0 || depth > 4 {
		return
	}
	if !d.MediaType.IsIndex() && !d.MediaType.IsImage() {
		rc, err := img.Blob(d.Digest, d.Size)
		if err != nil {
			return
		}
		defer rc.Close()
		h := sha256.New()
		if _, err := io.Copy(h, io.LimitReader(rc, 1<<24)); err == nil && d.Size < 1<<24 && d.Digest.Algorithm == "sha256" &&
			hex.EncodeToString(h.Sum(nil)) != d.Digest.Hex {
			t.Fatalf("blob %s read without error but hashes to %x", d.Digest, h.Sum(nil))
		}
		return
	}
	raw, err := img.ReadBlob(d)
	if err != nil {
		return
	}
	if sum := sha256.Sum256(raw); d.Digest.Algorithm == "sha256" && hex.EncodeToString(sum[:]) != d.Digest.Hex && img.IndexJSON != nil {
		t.Fatalf("ReadBlob(%s) returned content hashing to %x", d.Digest, sum)
	}
	var doc struct {
		Manifests []v1.Descriptor `json:"manifests"`
		Config    v1.Descriptor   `json:"config"`
		Layers    []v1.Descriptor `json:"layers"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return
	}
	for _, m := range doc.Manifests {
		readAll(t, img, m, depth+1, budget)
	}
	for _, l := range append([]v1.Descriptor{doc.Config}, doc.Layers...) {
		if l.Digest.Hex != "" {
			readAll(t, img, l, depth+1, budget)
		}
	}
}
