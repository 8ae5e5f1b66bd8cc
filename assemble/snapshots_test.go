package assemble

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
)

// countingLayers counts the layers a build unpacks.
type countingLayers struct {
	OverlayLayers
	unpacks *atomic.Int32
}

func (c countingLayers) Unpack(ctx context.Context, blob Blob, lowers []string, dir string) error {
	c.unpacks.Add(1)
	return c.OverlayLayers.Unpack(ctx, blob, lowers, dir)
}

// buildWith builds cf (no RUN) with b and the image contexts images, and
// returns the image's diffIDs.
func buildWith(t *testing.T, b *Builder, cf string, images map[string]string) []string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(cf), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "a"), []byte("a\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "b"), []byte("b\n"), 0o600))
	// The same context in every call, to the cache too (it hashes times).
	for _, f := range []string{"Containerfile", "a", "b"} {
		must(t, os.Chtimes(filepath.Join(dir, f), time.Unix(1000, 0), time.Unix(1000, 0)))
	}
	img, err := b.Build(context.Background(), parsed(t, Target{
		Name: "core-t", Containerfile: filepath.Join(dir, "Containerfile"), ContextDir: dir, Images: images,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Epoch: time.Unix(1, 0).UTC(),
	}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { img.Close() })
	var ids []string
	for _, l := range img.Layers {
		ids = append(ids, l.Blob.DiffID.String())
	}
	return ids
}

// baseLayout builds a two-layer image and writes it as an OCI layout.
func baseLayout(t *testing.T) string {
	t.Helper()
	b := &Builder{WorkDir: t.TempDir(), Layers: OverlayLayers{}}
	dir := t.TempDir()
	cf := "FROM scratch\nCOPY a /d/a\nCOPY b /d/b\n"
	must(t, os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(cf), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "a"), []byte("base a\n"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "b"), []byte("base b\n"), 0o755))
	epoch := time.Unix(1, 0).UTC()
	img, err := b.Build(context.Background(), parsed(t, Target{
		Name: "core-base", Containerfile: filepath.Join(dir, "Containerfile"), ContextDir: dir,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Epoch: epoch,
	}))
	must(t, err)
	defer img.Close()
	in := image.Input{Config: img.Config, Base: img.Base, Platform: img.Platform}
	for _, l := range img.Layers {
		in.Layers = append(in.Layers, image.Layer{Path: l.Blob.Path, Blob: l.Blob.Blob, New: !l.FromBase})
	}
	assembled, err := image.Assemble(in, image.StageXExport(epoch, "core-base", ""))
	must(t, err)
	out := filepath.Join(t.TempDir(), "core-base")
	must(t, image.WriteLayout(out, assembled))
	return out
}

// A dependency image is unpacked once for every build that shares the
// cache, only when a step reads it, and not at all when the step that
// reads it is cached; the layers are the same as without a cache.
func TestDependencyUnpackedOnceAndLazily(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlay mounts need root")
	}
	images := map[string]string{"stagex/core-base": baseLayout(t)}
	var n atomic.Int32
	cache := &LayerCache{Dir: filepath.Join(t.TempDir(), "cache")}
	work := t.TempDir()
	cached := func() *Builder { return &Builder{WorkDir: work, Layers: countingLayers{unpacks: &n}, Cache: cache} }
	copyAll := "FROM scratch\nCOPY --from=stagex/core-base / /\nCOPY a /a\n"
	copyOne := "FROM stagex/core-base\nCOPY --from=stagex/core-base /d/a /again\nCOPY b /b\n"
	noRead := "FROM stagex/core-base\nENV X=1\n"

	steps := []struct {
		name, cf string
		unpacks  int32
	}{
		{"first read unpacks both layers", copyAll, 2},
		{"the cached COPY --from unpacks nothing", copyAll, 0},
		{"another build reading it reuses the snapshots", copyOne, 0},
		{"FROM without a step that mounts unpacks nothing", noRead, 0},
	}
	got := map[string][]string{}
	for _, st := range steps {
		n.Store(0)
		ids := buildWith(t, cached(), st.cf, images)
		if u := n.Load(); u != st.unpacks {
			t.Errorf("%s: %d unpacks, want %d", st.name, u, st.unpacks)
		}
		if prev, ok := got[st.cf]; ok && !slices.Equal(prev, ids) {
			t.Errorf("%s: layers %v, earlier %v", st.name, ids, prev)
		}
		got[st.cf] = ids
	}
	// Without a cache every build unpacks into its own work dir, and the
	// layers are the same.
	for _, cf := range []string{copyAll, copyOne, noRead} {
		n.Store(0)
		ids := buildWith(t, &Builder{WorkDir: t.TempDir(), Layers: countingLayers{unpacks: &n}}, cf, images)
		if !slices.Equal(got[cf], ids) {
			t.Errorf("uncached build of %q: layers %v, cached %v", cf, ids, got[cf])
		}
	}
	snaps, _ := filepath.Glob(filepath.Join(cache.Dir, "s*"))
	if len(snaps) != 2 {
		t.Errorf("%d snapshots in the cache, want 2 (one per base layer): %v", len(snaps), snaps)
	}
	if tmp, _ := filepath.Glob(filepath.Join(cache.Dir, ".snap-*")); len(tmp) != 0 {
		t.Errorf("temporary snapshot dirs left: %v", tmp)
	}
}

// MountRootfs shows an image whose layers no step unpacked (a final stage
// FROM a dependency with only metadata instructions): type=local reads it.
func TestMountRootfsUnpacksUntouchedBaseLayers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlay mounts need root")
	}
	images := map[string]string{"stagex/core-base": baseLayout(t)}
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "Containerfile"), []byte("FROM stagex/core-base\nENV X=1\n"), 0o644))
	b := &Builder{WorkDir: t.TempDir(), Layers: OverlayLayers{}, Cache: &LayerCache{Dir: filepath.Join(t.TempDir(), "cache")}}
	img, err := b.Build(context.Background(), parsed(t, Target{
		Name: "core-t", Containerfile: filepath.Join(dir, "Containerfile"), ContextDir: dir, Images: images,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Epoch: time.Unix(1, 0).UTC(),
	}))
	must(t, err)
	defer img.Close()
	mnt := filepath.Join(img.WorkDir(), "rootfs")
	must(t, os.Mkdir(mnt, 0o755))
	unmount, err := img.MountRootfs(context.Background(), mnt)
	must(t, err)
	defer unmount()
	if got, err := os.ReadFile(filepath.Join(mnt, "d/b")); err != nil || string(got) != "base b\n" {
		t.Errorf("d/b = %q, %v; want the base image's file", got, err)
	}
}

// countingCommits counts the layers a build turns into blobs.
type countingCommits struct {
	OverlayLayers
	commits *atomic.Int32
}

func (c countingCommits) Commit(ctx context.Context, lowers []string, upper, blobDir string, epoch time.Time) (Blob, error) {
	c.commits.Add(1)
	return c.OverlayLayers.Commit(ctx, lowers, upper, blobDir, epoch)
}

// Only the output's layers become blobs: a build stage's layers never do,
// until a later build outputs that stage, which writes them once into the
// cache entries; the image is the same as an uncached build's.
func TestOnlyOutputLayersBecomeBlobs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlay mounts need root")
	}
	var n atomic.Int32
	cache := &LayerCache{Dir: filepath.Join(t.TempDir(), "cache")}
	work := t.TempDir()
	b := func() *Builder { return &Builder{WorkDir: work, Layers: countingCommits{commits: &n}, Cache: cache} }
	pkg := "FROM scratch AS build\nCOPY a /x/a\nCOPY b /x/b\nFROM scratch AS package\nCOPY --from=build /x/a /a\n"
	steps := []struct {
		name, cf string
		commits  int32
	}{
		{"the package stage's one layer", pkg, 1},
		{"all cached", pkg, 0},
		{"the build stage as output: its two layers, once", pkg + "FROM build\n", 2},
		{"then cached too", pkg + "FROM build\n", 0},
	}
	for _, st := range steps {
		n.Store(0)
		ids := buildWith(t, b(), st.cf, nil)
		if got := n.Load(); got != st.commits {
			t.Errorf("%s: %d layer blobs written, want %d", st.name, got, st.commits)
		}
		uncached := buildWith(t, &Builder{WorkDir: t.TempDir(), Layers: OverlayLayers{}}, st.cf, nil)
		if !slices.Equal(ids, uncached) {
			t.Errorf("%s: layers %v, uncached %v", st.name, ids, uncached)
		}
	}
}
