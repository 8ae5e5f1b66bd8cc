package image

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestWriteReadRoundTrip writes a layout and reads it back: the manifest
// digest, config bytes and layers (with diffIDs) come back, every file has
// BuildKit's tar modes, and the 0444 layer blob was hard-linked while the
// 0644 one was copied.
func TestWriteReadRoundTrip(t *testing.T) {
	src := t.TempDir()
	img := testImage(t, src, amd64, "x")
	dir := filepath.Join(t.TempDir(), "out", "core-test")
	if err := WriteLayout(dir, img); err != nil {
		t.Fatal(err)
	}
	got, err := ReadLayout(dir, amd64)
	if err != nil {
		t.Fatal(err)
	}
	if got.ManifestDigest != img.ManifestDigest {
		t.Errorf("manifest digest = %s, want %s", got.ManifestDigest, img.ManifestDigest)
	}
	if string(got.ConfigRaw) != string(img.Config) {
		t.Errorf("config bytes differ")
	}
	for i, l := range got.Layers {
		want := img.Layers[i]
		if l.Digest != want.Digest || l.DiffID != want.DiffID || l.Size != want.Size || l.New {
			t.Errorf("layer %d = %+v, want digest %s diffID %s", i, l, want.Digest, want.DiffID)
		}
		if l.Path != blobFile(dir, want.Digest.Hex) {
			t.Errorf("layer %d path %s, want inside the layout", i, l.Path)
		}
	}
	for i, wantLinks := range []uint64{2, 1} {
		st, err := os.Stat(got.Layers[i].Path)
		if err != nil {
			t.Fatal(err)
		}
		if n := st.Sys().(*syscall.Stat_t).Nlink; n != wantLinks {
			t.Errorf("layer %d has %d links, want %d", i, n, wantLinks)
		}
	}
	modes := map[string]string{}
	for name, v := range readTree(t, dir) {
		modes[name] = strings.Fields(v)[0]
	}
	want := map[string]string{
		"./": "drwxr-xr-x", "blobs/": "drwxr-xr-x", "blobs/sha256/": "drwxr-xr-x",
		"index.json": "-rw-r--r--", "oci-layout": "-r--r--r--",
	}
	for _, h := range []string{img.Layers[0].Digest.Hex, img.Layers[1].Digest.Hex, img.ConfigDigest.Hex, img.ManifestDigest.Hex, img.IndexDigest.Hex} {
		want["blobs/sha256/"+h] = "-r--r--r--"
	}
	if diff := cmp.Diff(want, modes); diff != "" {
		t.Errorf("layout files and modes (-want +got):\n%s", diff)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "oci-layout")); string(b) != `{"imageLayoutVersion":"1.0.0"}` {
		t.Errorf("oci-layout = %q", b)
	}
	assertNoTemps(t, dir)
}

// assertNoTemps fails if WriteLayout left temp dirs next to dir.
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

// TestWriteLayoutReplaces writes over an existing layout: only the new
// image's blobs remain.
func TestWriteLayoutReplaces(t *testing.T) {
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "core-test")
	first, second := testImage(t, src, amd64, "1"), testImage(t, src, amd64, "2")
	for _, img := range []*Assembled{first, second} {
		if err := WriteLayout(dir, img); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadLayout(dir, amd64)
	if err != nil {
		t.Fatal(err)
	}
	if got.ManifestDigest != second.ManifestDigest {
		t.Errorf("manifest %s, want the second image's %s", got.ManifestDigest, second.ManifestDigest)
	}
	if _, err := os.Stat(blobFile(dir, first.ManifestDigest.Hex)); !os.IsNotExist(err) {
		t.Errorf("first image's manifest still there: %v", err)
	}
	assertNoTemps(t, dir)
}

func TestWriteLayoutRefusesFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := WriteLayout(dir, testImage(t, t.TempDir(), amd64, "x"))
	if err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("err = %v, want not a directory", err)
	}
}

// TestWriteLayoutVerifiesSources: a layer file whose content does not
// match its digest is refused, whether it would be linked or copied, and
// the old layout survives.
func TestWriteLayoutVerifiesSources(t *testing.T) {
	for _, mode := range []os.FileMode{0o444, 0o644} {
		t.Run(mode.String(), func(t *testing.T) {
			src, dir := t.TempDir(), filepath.Join(t.TempDir(), "core-test")
			old := testImage(t, src, amd64, "old")
			if err := WriteLayout(dir, old); err != nil {
				t.Fatal(err)
			}
			img := testImage(t, src, amd64, "new")
			p := img.Layers[1].Path
			os.Chmod(p, 0o644)
			if err := os.WriteFile(p, []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, mode)
			err := WriteLayout(dir, img)
			if err == nil || !strings.Contains(err.Error(), img.Layers[1].Digest.String()) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want one naming the blob and %s", err, p)
			}
			requireImage(t, dir, old)
			assertNoTemps(t, dir)
		})
	}
}

// requireImage fails unless dir holds a readable layout of img.
func requireImage(t *testing.T, dir string, img *Assembled) {
	t.Helper()
	got, err := ReadLayout(dir, amd64)
	if err != nil {
		t.Fatalf("layout unreadable: %v", err)
	}
	if got.ManifestDigest != img.ManifestDigest {
		t.Fatalf("layout holds %s, want %s", got.ManifestDigest, img.ManifestDigest)
	}
}

// TestReadLayoutRefuses: corrupt, truncated and missing blobs of every kind
// and missing platforms are errors that name the blob and the layout.
func TestReadLayoutRefuses(t *testing.T) {
	src := t.TempDir()
	img := testImage(t, src, amd64, "x")
	tests := []struct {
		name     string
		break_   func(dir string)
		platform ocispec.Platform
		want     []string
	}{
		{"corrupt layer", corrupt(img.Layers[0].Digest.Hex), amd64, []string{img.Layers[0].Digest.String(), "hashes to"}},
		{"truncated layer", truncate(img.Layers[1].Digest.Hex), amd64, []string{img.Layers[1].Digest.String()}},
		{"missing layer", remove(img.Layers[1].Digest.Hex), amd64, []string{img.Layers[1].Digest.String(), "no such file"}},
		{"corrupt config", corrupt(img.ConfigDigest.Hex), amd64, []string{img.ConfigDigest.String(), "hashes to"}},
		{"corrupt manifest", corrupt(img.ManifestDigest.Hex), amd64, []string{img.ManifestDigest.String()}},
		{"missing index", remove(img.IndexDigest.Hex), amd64, []string{img.IndexDigest.String()}},
		{"other platform", func(string) {}, ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, []string{"no image for platform linux/arm/v7", "found: linux/amd64"}},
		{"variant matters", func(string) {}, ocispec.Platform{OS: "linux", Architecture: "amd64", Variant: "v3"}, []string{"linux/amd64/v3"}},
		{"no index.json", func(d string) { os.Remove(filepath.Join(d, "index.json")) }, amd64, []string{"index.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "core-test")
			if err := WriteLayout(dir, img); err != nil {
				t.Fatal(err)
			}
			tc.break_(dir)
			_, err := ReadLayout(dir, tc.platform)
			if err == nil {
				t.Fatal("ReadLayout succeeded")
			}
			for _, w := range append(tc.want, dir) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v, want it to contain %q", err, w)
				}
			}
		})
	}
}

func blobFile(dir, hex string) string { return filepath.Join(dir, "blobs", "sha256", hex) }

func rewrite(dir, hex string, f func([]byte) []byte) {
	p := blobFile(dir, hex)
	b, _ := os.ReadFile(p)
	os.Remove(p) // the blob may be a hard link to the source: do not write through it
	os.WriteFile(p, f(b), 0o444)
}

func corrupt(hex string) func(string) {
	return func(dir string) {
		rewrite(dir, hex, func(b []byte) []byte { c := append([]byte(nil), b...); c[len(c)/2] ^= 1; return c })
	}
}

func truncate(hex string) func(string) {
	return func(dir string) { rewrite(dir, hex, func(b []byte) []byte { return b[:len(b)-1] }) }
}

func remove(hex string) func(string) {
	return func(dir string) { os.Remove(blobFile(dir, hex)) }
}
