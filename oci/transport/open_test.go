package transport_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/oci/transport"
	"github.com/stevedore-build/stevedore/oci/transport/transporttest"
)

// fixture writes one test image as a layout and returns the layout
// directory, the image, and its raw config.
func fixture(t *testing.T) (string, v1.Image, []byte) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "layout")
	blob := transporttest.Gzip(t, transporttest.Tar(t, transporttest.DefaultEntries()), gzip.DefaultCompression, gzip.Header{})
	img := transporttest.WriteLayout(t, dir, transporttest.Spec{Layers: [][]byte{blob}, Tag: "latest"})
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return dir, img, cfg
}

// manifestOf follows the first descriptor (through nested indexes) to an
// image manifest and returns it.
func manifestOf(t *testing.T, img *transport.Store) v1.Manifest {
	t.Helper()
	d := img.Manifests[0]
	for d.MediaType.IsIndex() {
		raw, err := img.ReadBlob(d)
		if err != nil {
			t.Fatal(err)
		}
		var idx v1.IndexManifest
		if err := json.Unmarshal(raw, &idx); err != nil {
			t.Fatal(err)
		}
		d = idx.Manifests[0]
	}
	raw, err := img.ReadBlob(d)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// diffIDs reads every layer through the Image and hashes it uncompressed.
func diffIDs(t *testing.T, img *transport.Store, m v1.Manifest) []v1.Hash {
	t.Helper()
	var out []v1.Hash
	for _, l := range m.Layers {
		rc, err := img.Blob(l.Digest, l.Size)
		if err != nil {
			t.Fatal(err)
		}
		var r io.Reader = rc
		if strings.HasSuffix(string(l.MediaType), "gzip") {
			zr, err := gzip.NewReader(rc)
			if err != nil {
				t.Fatal(err)
			}
			r = zr
		}
		h, _, err := v1.SHA256(r)
		if err != nil {
			t.Fatalf("read layer %s: %v", l.Digest, err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatalf("verify layer %s: %v", l.Digest, err)
		}
		rc.Close()
		out = append(out, h)
	}
	return out
}

func TestOpenEveryForm(t *testing.T) {
	dir, img, wantCfg := fixture(t)
	wantDigest, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(t.TempDir(), "oci.tar")
	transporttest.WriteOCIArchive(t, dir, ociTar)
	dockerTar := filepath.Join(t.TempDir(), "docker.tar")
	transporttest.WriteDockerArchive(t, img, dockerTar)

	tests := []struct {
		ref          string
		sameManifest bool // the manifest is the original one, not synthesized
	}{
		{dir, true},
		{"oci:" + dir, true},
		{"oci:" + dir + ":latest", true},
		{"oci-archive:" + ociTar, true},
		{"oci-archive:" + ociTar + ":latest", true},
		{"docker-archive:" + dockerTar, false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := transport.OpenString(tt.ref, "")
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer got.Close()
			if tt.sameManifest && got.Manifests[0].Digest != wantDigest {
				t.Errorf("manifest digest = %s, want %s", got.Manifests[0].Digest, wantDigest)
			}
			m := manifestOf(t, got)
			cfg, err := got.ReadBlob(m.Config)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(cfg, wantCfg) {
				t.Errorf("config = %s, want %s", cfg, wantCfg)
			}
			if diff := cmp.Diff(cf.RootFS.DiffIDs, diffIDs(t, got, m)); diff != "" {
				t.Errorf("layer diff_ids (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenUnknownTag(t *testing.T) {
	dir, _, _ := fixture(t)
	_, err := transport.OpenString("oci:"+dir+":nope", "")
	if err == nil || !strings.Contains(err.Error(), `"nope"`) || !strings.Contains(err.Error(), "latest") {
		t.Fatalf("error = %v, want one naming the tag and the tags present", err)
	}
}

// TestOpenSkopeoDockerArchive reads a docker-archive written by skopeo,
// which stores layers uncompressed.
func TestOpenSkopeoDockerArchive(t *testing.T) {
	skopeo, err := exec.LookPath("skopeo")
	if err != nil {
		t.Skip("skopeo not installed (tests/install-deps installs it)")
	}
	dir, img, wantCfg := fixture(t)
	cf, _ := img.ConfigFile()
	out := filepath.Join(t.TempDir(), "skopeo.tar")
	cmd := exec.Command(skopeo, "--insecure-policy", "copy", "oci:"+dir+":latest", "docker-archive:"+out+":example.org/x:latest")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("skopeo copy: %v\n%s", err, b)
	}
	got, err := transport.OpenString("docker-archive:"+out, "")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer got.Close()
	m := manifestOf(t, got)
	cfg, err := got.ReadBlob(m.Config)
	if err != nil {
		t.Fatal(err)
	}
	var gotCF v1.ConfigFile
	if err := json.Unmarshal(cfg, &gotCF); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(cf.RootFS.DiffIDs, diffIDs(t, got, m)); diff != "" {
		t.Errorf("layer diff_ids (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cf.RootFS.DiffIDs, gotCF.RootFS.DiffIDs); diff != "" {
		t.Errorf("config diff_ids (-want +got):\n%s", diff)
	}
	_ = wantCfg
}

func TestCorruptBlobIsNamed(t *testing.T) {
	dir, img, _ := fixture(t)
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	p := transporttest.BlobPath(dir, m.Config.Digest)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[0] = ' '
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := transport.OpenString(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	_, err = got.ReadBlob(m.Config)
	if err == nil || !strings.Contains(err.Error(), m.Config.Digest.String()) || !strings.Contains(err.Error(), "corrupt") {
		t.Fatalf("ReadBlob error = %v, want a corrupt-blob error naming %s", err, m.Config.Digest)
	}
}

func TestOpenCompressedArchiveIsRefused(t *testing.T) {
	dir, _, _ := fixture(t)
	plain := filepath.Join(t.TempDir(), "oci.tar")
	transporttest.WriteOCIArchive(t, dir, plain)
	b, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	gz := plain + ".gz"
	if err := os.WriteFile(gz, transporttest.Gzip(t, b, gzip.BestSpeed, gzip.Header{}), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = transport.OpenString("oci-archive:"+gz, "")
	if err == nil || !strings.Contains(err.Error(), "gzip-compressed") {
		t.Fatalf("error = %v, want a gzip-compressed archive error", err)
	}
}
