package assemble

import (
	"bytes"
	"context"
	"encoding/json"
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
	dir := busyboxContext(t)
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

// putEntry publishes a layer directory holding one file a with content
// in a new cache under dir, and returns its key.
func putEntry(t *testing.T, dir, content string) (*LayerCache, string) {
	t.Helper()
	c := &LayerCache{Dir: filepath.Join(dir, "layers")}
	ld := filepath.Join(dir, "layer")
	if err := os.MkdirAll(filepath.Join(ld, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ld, "sub", "a"), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	k := strings.Repeat("ab", 32)
	if _, err := c.put(k, &Layer{Dir: ld}); err != nil {
		t.Fatal(err)
	}
	return c, k
}

// A later process trusts an entry's recorded verified state instead of
// reading its layer directory: shown with a forged record, which is
// trusted while every stamp is the one it records.
func TestLayerCacheTrustsRecordedState(t *testing.T) {
	dir := t.TempDir()
	c, k := putEntry(t, dir, "hello")
	entry := c.entry(k)
	if _, err := os.Stat(filepath.Join(entry, verifiedName)); err != nil {
		t.Fatalf("put recorded no verified state: %v", err)
	}
	// Altered behind the cache's back (the same size, so only the
	// content and the times differ), then a record of the altered state.
	a := filepath.Join(entry, "f", "sub", "a")
	if err := os.WriteFile(a, []byte("HELLO"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := readMeta(t, entry)
	before, err := entryStamps(entry, m)
	if err != nil {
		t.Fatal(err)
	}
	recordEntry(k, entry, m, before)
	if _, ok, problem := (&LayerCache{Dir: c.Dir}).get(k); !ok || problem != nil {
		t.Fatalf("an entry whose state is the recorded one: ok %v, problem %v; want trusted", ok, problem)
	}
}

// Any change to an entry after its state was recorded (a rewrite, a
// touch, a chmod, a file added, a torn record) means verifying it in
// full: a damaged entry is found and removed, an intact one is trusted
// again once verified.
func TestLayerCacheStateChangeVerifiesInFull(t *testing.T) {
	changes := map[string]func(entry string) error{
		"rewrite same size": func(e string) error { return os.WriteFile(filepath.Join(e, "f", "sub", "a"), []byte("HELLO"), 0o644) },
		"rewrite, mtime set back": func(e string) error {
			a := filepath.Join(e, "f", "sub", "a")
			fi, err := os.Stat(a)
			if err != nil {
				return err
			}
			if err := os.WriteFile(a, []byte("HELLO"), 0o644); err != nil {
				return err
			}
			return os.Chtimes(a, fi.ModTime(), fi.ModTime())
		},
		"file added": func(e string) error { return os.WriteFile(filepath.Join(e, "f", "sub", "b"), nil, 0o644) },
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c, k := putEntry(t, dir, "hello")
			if err := change(c.entry(k)); err != nil {
				t.Fatal(err)
			}
			if _, ok, problem := (&LayerCache{Dir: c.Dir}).get(k); ok || problem == nil {
				t.Fatalf("damaged entry: ok %v, problem %v; want it found damaged", ok, problem)
			}
			if _, err := os.Stat(c.entry(k)); !os.IsNotExist(err) {
				t.Errorf("the damaged entry was not removed: %v", err)
			}
		})
	}
	intact := map[string]func(entry string) error{
		"touch": func(e string) error {
			now := time.Now()
			return os.Chtimes(filepath.Join(e, "f", "sub", "a"), now, now)
		},
		"torn record": func(e string) error { return os.WriteFile(filepath.Join(e, verifiedName), []byte(`{"key":`), 0o644) },
		"no record":   func(e string) error { return os.Remove(filepath.Join(e, verifiedName)) },
	}
	for name, change := range intact {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			c, k := putEntry(t, dir, "hello")
			if err := change(c.entry(k)); err != nil {
				t.Fatal(err)
			}
			entry := c.entry(k)
			m := readMeta(t, entry)
			if trustedEntry(k, entry, m) {
				t.Fatal("a changed entry is trusted without verifying")
			}
			_, ok, problem := (&LayerCache{Dir: c.Dir}).get(k)
			if name == "touch" {
				// A new mtime is a different layer directory digest.
				if ok || problem == nil {
					t.Fatalf("touched entry: ok %v, problem %v; want it found damaged", ok, problem)
				}
				return
			}
			if !ok || problem != nil {
				t.Fatalf("intact entry: ok %v, problem %v", ok, problem)
			}
			if !trustedEntry(k, entry, m) {
				t.Error("verified in full, the entry's state was not recorded again")
			}
		})
	}
}

func readMeta(t *testing.T, entry string) cacheMeta {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(entry, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m cacheMeta
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
