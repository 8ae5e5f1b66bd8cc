package assemble

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/sandbox"
)

// cachedBuild builds cf (busybox as its only context file) with the layer
// cache in cacheDir and returns the layers' DiffIDs and the log.
func cachedBuild(t *testing.T, dir, cacheDir, cf string) ([]string, string) {
	t.Helper()
	os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(cf), 0o644)
	r, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: filepath.Join(t.TempDir(), "state")})
	if err != nil && strings.Contains(err.Error(), "without seccomp support") {
		t.Skip("the sandbox needs -tags seccomp: run make test")
	}
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	b := &Builder{Runner: r, WorkDir: filepath.Join(cacheDir, "work"), Layers: OverlayLayers{}}
	if cacheDir != "" {
		b.Cache = &LayerCache{Dir: filepath.Join(cacheDir, "layers")}
	} else {
		b.WorkDir = t.TempDir()
	}
	img, err := b.Build(context.Background(), parsed(t, Target{
		Name: "t", Containerfile: filepath.Join(dir, "Containerfile"), ContextDir: dir,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Epoch: time.Unix(1, 0).UTC(), Log: &log,
	}))
	if err != nil {
		t.Fatalf("build: %v\n%s", err, log.String())
	}
	defer img.Close()
	var ids []string
	for _, l := range img.Layers {
		ids = append(ids, l.Blob.DiffID.String())
	}
	return ids, log.String()
}

// A cache entry whose layer directory was torn (a file truncated, as an
// unsynced write leaves it after a crash) is detected, removed and
// rebuilt; later RUNs never see the torn file.
func TestTornCacheEntryIsRebuilt(t *testing.T) {
	const head = "FROM scratch\nCOPY busybox /bin/busybox\n" +
		`RUN ["/bin/busybox", "sh", "-c", "echo hello > /a"]` + "\n"
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox (Debian package busybox-static)")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "busybox"), bb, 0o755)
	cache := t.TempDir()
	cachedBuild(t, dir, cache, head)
	// Tear the entry of the RUN: its /a loses its content.
	torn := 0
	entries, _ := filepath.Glob(filepath.Join(cache, "layers", "*", "f", "a"))
	for _, a := range entries {
		if err := os.Truncate(a, 0); err != nil {
			t.Fatal(err)
		}
		torn++
	}
	if torn != 1 {
		t.Fatalf("found %d cache entries with /a, want 1", torn)
	}
	cf := head + `RUN ["/bin/busybox", "sh", "-c", "cp /a /b"]` + "\n"
	got, log := cachedBuild(t, dir, cache, cf)
	want, _ := cachedBuild(t, dir, "", cf)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("layers with the torn cache entry:\n%v\nwant (no cache):\n%v\nlog:\n%s", got, want, log)
	}
	if !strings.Contains(log, "is damaged") {
		t.Errorf("the log does not report the damaged entry:\n%s", log)
	}
}

// What a build killed while publishing or discarding an entry left in the
// cache is swept; a live build's temp dir is not.
func TestLayerCacheSweep(t *testing.T) {
	c := &LayerCache{Dir: t.TempDir()}
	for _, d := range []string{".put-dead", ".bad-dead/e/f"} {
		os.MkdirAll(filepath.Join(c.Dir, d), 0o755)
	}
	os.MkdirAll(filepath.Join(c.Dir, "0123456789abcdef01234567", "f"), 0o755)
	if err := c.Sweep(); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(c.Dir)
	if len(entries) != 1 || entries[0].Name() != "0123456789abcdef01234567" {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("after Sweep: %v, want only the entry", names)
	}
}
