package image

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/layers"
)

var update = flag.Bool("update", false, "rewrite testdata/golden")

// TestWriteLayoutDeterministic writes the same image from different source
// dirs, umasks, source modes and source mtimes: every file of the two
// layouts, names, modes and bytes, must be the same.
func TestWriteLayoutDeterministic(t *testing.T) {
	conditions := []struct {
		umask int
		mode  os.FileMode
		mtime time.Time
	}{
		{0o022, 0o444, time.Unix(0, 0)},
		{0o077, 0o600, time.Now()},
		{0o000, 0o666, time.Unix(1234567890, 0)},
	}
	var trees []map[string]string
	var digests []v1.Hash
	for _, c := range conditions {
		old := syscall.Umask(c.umask)
		src := t.TempDir()
		img := testImage(t, src, amd64, "same")
		for _, l := range img.Layers {
			os.Chmod(l.Path, c.mode)
			os.Chtimes(l.Path, c.mtime, c.mtime)
		}
		dir := filepath.Join(t.TempDir(), "core-test")
		err := WriteLayout(dir, img)
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		trees = append(trees, readTree(t, dir))
		digests = append(digests, img.ManifestDigest)
	}
	for i := 1; i < len(trees); i++ {
		if diff := cmp.Diff(trees[0], trees[i]); diff != "" {
			t.Errorf("condition %d: layout differs (-first +this):\n%s", i, diff)
		}
		if digests[i] != digests[0] {
			t.Errorf("condition %d: manifest %s, want %s", i, digests[i], digests[0])
		}
	}
}

// goldenInput is a fixed image over fake layer blobs (Assemble never reads
// layer bytes), so that its documents pin the JSON rules alone: a base with
// two layers and an older history, a new layer, and metadata.
func goldenInput() Input {
	layer := func(c byte, isNew bool) Layer {
		return Layer{Blob: layers.Blob{Digest: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat(string(c), 64)}, Size: int64(c),
			DiffID: v1.Hash{Algorithm: "sha256", Hex: strings.Repeat(string(c+1), 64)}}, New: isNew}
	}
	p := ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	base := EmptyImage(p)
	old := time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC)
	base.Created = &old
	base.RootFS.DiffIDs = nil
	for _, l := range []Layer{layer('a', false), layer('c', false)} {
		base.RootFS.DiffIDs = append(base.RootFS.DiffIDs, digestOf(l.DiffID))
	}
	base.History = []ocispec.History{hist("COPY / / # buildkit", true, old), hist("RUN x > y # buildkit", true, old)}
	base.Config.Entrypoint = []string{"/bin/sh"}
	img := FromBase(base)
	img.History = append(img.History, hist("COPY <a&b> / # buildkit", true, epoch1), hist("CMD [\"a<b\"]", false, epoch1))
	img.Config.Cmd, img.Config.ArgsEscaped = []string{"a<b"}, true
	return Input{Config: img, Base: &base, Platform: p, Layers: []Layer{layer('a', false), layer('c', false), layer('e', true)}}
}

// TestGoldenDocuments pins every document of goldenInput (regenerate with
// -update after checking the change against BuildKit).
func TestGoldenDocuments(t *testing.T) {
	img, err := Assemble(goldenInput(), StageXExport(epoch1, "pallet-golden", "2.0"))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]byte{"config.json": img.Config, "manifest.json": img.Manifest, "image-index.json": img.Index, "index.json": img.IndexJSON}
	for name, got := range docs {
		p := filepath.Join("testdata", "golden", name)
		if *update {
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(want), string(got)); diff != "" {
			t.Errorf("%s (-golden +got):\n%s", name, diff)
		}
	}
	const wantManifest = "sha256:211dcac15233f8e35ffed28b42d5c95fd88aac6d1f3803e03c6be0bf610b2811"
	if got := img.ManifestDigest.String(); got != wantManifest {
		t.Errorf("manifest digest = %s, want %s", got, wantManifest)
	}
}
