package image_test

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
)

// TestBuildKitParity builds every recipe with BuildKit v0.34.2 for three
// platforms (COPY-only, so cross builds need no emulation), then assembles
// the same image from BuildKit's layer blobs and diffIDs plus a config
// written from the recipe, and requires byte-identical config, manifest,
// image index and index.json, and an identical layout tree (names,
// contents, modes). Targets FROM stagex/<dep> read their base with
// ReadLayout from BuildKit's own layout of the dependency.
func TestBuildKitParity(t *testing.T) {
	if os.Getenv("STEVEDORE_SLOW") == "" {
		t.Skip("set STEVEDORE_SLOW=1")
	}
	ctx := context.Background()
	d, err := buildkitref.Start(ctx, buildkitref.Options{Workdir: filepath.Join(t.TempDir(), "bk")})
	if err != nil {
		t.Fatalf("BuildKit reference unavailable: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop buildkitd: %v", err)
		}
	})
	for _, platform := range []string{"linux/amd64", "linux/386", "linux/arm/v7"} {
		t.Run(strings.ReplaceAll(platform, "/", "-"), func(t *testing.T) {
			p, err := oci.ParsePlatform(platform)
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			for _, r := range recipes {
				ok := t.Run(r.name, func(t *testing.T) { parityOne(t, d, out, platform, p, r) })
				if !ok {
					t.FailNow() // later recipes depend on earlier ones
				}
			}
		})
	}
}

// parityOne builds r with BuildKit into out/bk/<name>, assembles it into
// out/ours/<name> and compares.
func parityOne(t *testing.T, d *buildkitref.Daemon, out, platform string, p ocispec.Platform, r recipe) {
	bk, ours := filepath.Join(out, "bk", r.name), filepath.Join(out, "ours", r.name)
	epoch := r.sourceDateEpoch()
	buildArgs := map[string]string{"SOURCE_DATE_EPOCH": fmt.Sprint(epoch.Unix())} // overrides buildkit.sh's
	maps.Copy(buildArgs, r.buildArgs)
	opts := buildkitref.BuildOptions{
		Context: writeRecipe(t, r), Platform: platform, BuildArgs: buildArgs,
		Name: r.name, Version: r.version, Dest: bk,
	}
	if r.dep != "" {
		opts.Deps = map[string]string{r.dep: filepath.Join(out, "bk", r.dep)}
	}
	if err := d.Build(context.Background(), opts); err != nil {
		t.Fatalf("BuildKit build: %v", err)
	}
	in := image.Input{Platform: p}
	if r.dep != "" {
		base, err := image.ReadLayout(filepath.Join(out, "ours", r.dep), p)
		if err != nil {
			t.Fatal(err)
		}
		in.Base = &base.Config
	}
	f := start(p, in.Base, epoch)
	r.frontend(f)
	in.Config = f.img
	in.Layers = buildKitLayers(t, bk, p, in)
	img, err := image.Assemble(in, image.StageXExport(epoch, r.name, r.version))
	if err != nil {
		t.Fatal(err)
	}
	if err := image.WriteLayout(ours, img); err != nil {
		t.Fatal(err)
	}
	compareDocs(t, bk, img)
	if diff := cmp.Diff(tree(t, bk), tree(t, ours)); diff != "" {
		t.Errorf("layout trees differ (-BuildKit +ours):\n%s", diff)
	}
	buildkitref.RequireSameManifest(t, bk, ours)
}

// buildKitLayers returns BuildKit's layers of the image at dir, marking as
// new those after the base's.
func buildKitLayers(t *testing.T, dir string, p ocispec.Platform, in image.Input) []image.Layer {
	t.Helper()
	got, err := image.ReadLayout(dir, p)
	if err != nil {
		t.Fatal(err)
	}
	nbase := 0
	if in.Base != nil {
		nbase = len(in.Base.RootFS.DiffIDs)
	}
	for i := range got.Layers {
		got.Layers[i].New = i >= nbase
	}
	return got.Layers
}

// compareDocs compares each JSON document byte for byte, so that a failure
// shows the first differing document rather than only a digest.
func compareDocs(t *testing.T, bk string, img *image.Assembled) {
	t.Helper()
	bkIndexJSON := readFile(t, filepath.Join(bk, "index.json"))
	bkIndex := blobAt(t, bk, bkIndexJSON, 0)
	bkManifest := blobAt(t, bk, bkIndex, 0)
	var m ocispec.Manifest
	mustUnmarshal(t, bkManifest, &m)
	h, err := v1.NewHash(m.Config.Digest.String())
	if err != nil {
		t.Fatal(err)
	}
	docs := []struct {
		name string
		want []byte
		got  []byte
	}{
		{"index.json", bkIndexJSON, img.IndexJSON},
		{"image index", bkIndex, img.Index},
		{"manifest", bkManifest, img.Manifest},
		{"config", readFile(t, blob(bk, h)), img.Config},
	}
	for _, doc := range docs {
		if diff := cmp.Diff(string(doc.want), string(doc.got)); diff != "" {
			t.Errorf("%s differs (-BuildKit +ours):\n%s", doc.name, diff)
		}
	}
}

// blobAt reads the blob the i-th descriptor of an index document names
// from layout dir.
func blobAt(t *testing.T, dir string, index []byte, i int) []byte {
	t.Helper()
	var idx struct {
		Manifests []struct{ Digest string }
	}
	mustUnmarshal(t, index, &idx)
	if len(idx.Manifests) <= i {
		t.Fatalf("index has %d manifests", len(idx.Manifests))
	}
	h, err := v1.NewHash(idx.Manifests[i].Digest)
	if err != nil {
		t.Fatal(err)
	}
	return readFile(t, blob(dir, h))
}

func blob(dir string, h v1.Hash) string { return filepath.Join(dir, "blobs", h.Algorithm, h.Hex) }
