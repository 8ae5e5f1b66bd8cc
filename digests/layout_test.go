package digests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/digests/internal/ocitest"
)

func TestReadImage(t *testing.T) {
	tests := []struct {
		name, tag, wantTag string
	}{
		{"tagged", "1.2.3", "1.2.3"},
		{"untagged", "", "latest"},
		{"full reference", "stagex/core-gcc:13", "13"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			want := ocitest.WriteLayout(t, dir, tt.tag)
			got, err := ReadImage(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got.Digest != want || got.Tag != tt.wantTag {
				t.Errorf("ReadImage = %v %q, want %v %q", got.Digest, got.Tag, want, tt.wantTag)
			}
		})
	}
}

func TestReadImageDirectManifest(t *testing.T) {
	dir := t.TempDir()
	want := ocitest.WriteLayout(t, dir, "x")
	// Point index.json straight at the image manifest.
	st, err := os.Stat(filepath.Join(dir, "blobs", "sha256", want.Hex))
	if err != nil {
		t.Fatal(err)
	}
	idx := `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` +
		want.String() + `","size":` + fmt.Sprint(st.Size()) + `}]}`
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(idx), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadImage(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Digest != want || got.Tag != "latest" {
		t.Errorf("ReadImage = %v %q, want %v latest", got.Digest, got.Tag, want)
	}
}

func TestReadImageCorruptBlob(t *testing.T) {
	dir := t.TempDir()
	want := ocitest.WriteLayout(t, dir, "x")
	blob := filepath.Join(dir, "blobs", "sha256", want.Hex)
	b, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(blob, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadImage(dir)
	if err == nil || !strings.Contains(err.Error(), want.Hex) || !strings.Contains(err.Error(), "is corrupt") {
		t.Errorf("ReadImage of corrupt layout: err = %v, want a verify error naming blob %s", err, want.Hex)
	}
}

func TestReadImageErrors(t *testing.T) {
	tests := []struct {
		name, index, want string
	}{
		{"no index", "", "open"},
		{"empty index", `{"schemaVersion":2,"manifests":[]}`, "no manifests"},
		{"bad json", `{`, "parse"},
		{"missing blob", `{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:` +
			strings.Repeat("a", 64) + `","size":1}]}`, "read blob"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.index != "" {
				if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(tt.index), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := ReadImage(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ReadImage: err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestReadImageBadTag: a ref.name that is no valid tag is refused.
func TestReadImageBadTag(t *testing.T) {
	dir := t.TempDir()
	ocitest.WriteLayout(t, dir, "bad tag")
	if _, err := ReadImage(dir); err == nil || !strings.Contains(err.Error(), "not a valid tag") {
		t.Errorf("ReadImage: err = %v, want not a valid tag", err)
	}
}
