package build

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/internal/verified"
	"github.com/stevedore-build/stevedore/layers"
	"github.com/stevedore-build/stevedore/recipes/fetch"
)

var testPlatform = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// writeTestLayout writes a one-layer image to dir and returns its digest
// and the path of its layer blob.
func writeTestLayout(t *testing.T, dir string) (string, string) {
	t.Helper()
	blob := filepath.Join(t.TempDir(), "layer")
	content := []byte(strings.Repeat("layer bytes ", 100))
	if err := os.WriteFile(blob, content, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	h := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	cfg := image.EmptyImage(testPlatform)
	cfg.History = append(cfg.History, ocispec.History{CreatedBy: "COPY layer /"})
	img, err := image.Assemble(image.Input{
		Config:   cfg,
		Layers:   []image.Layer{{Path: blob, Blob: layers.Blob{Digest: h, Size: int64(len(content)), DiffID: h}, New: true}},
		Platform: testPlatform,
	}, image.StageXExport(time.Unix(1, 0), "core-test", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if err := image.WriteLayout(dir, img); err != nil {
		t.Fatal(err)
	}
	return img.ManifestDigest.String(), filepath.Join(dir, "blobs", "sha256", h.Hex)
}

// rewriteKeepingTimes replaces path's bytes with content of the same size
// and sets its times back: only ctime tells.
func rewriteKeepingTimes(t *testing.T, path string, content []byte) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	mode := fi.Mode().Perm()
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, mode)
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// A recorded state is trusted while every stamp holds; a tampered or torn
// blob (even with its times set back), or a record without state, means
// verifying in full; a blob that only gained a link verifies and yields
// the new state to record.
func TestCacheHitTrustsOnlyUnchangedStamps(t *testing.T) {
	cache := cacheRecord{dir: t.TempDir()}
	out := filepath.Join(t.TempDir(), "out")
	digest, blob := writeTestLayout(t, out)
	stamps, err := verified.StampTree(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := cache.store("core-test", &cacheEntry{key: "k", digest: digest, out: stamps}); err != nil {
		t.Fatal(err)
	}
	rec := cache.read("core-test")
	if rec == nil || !rec.out.Equal(stamps) {
		t.Fatalf("record read back as %+v, want the stamps stored", rec)
	}
	if ok, got := cache.hit(rec, "k", out, testPlatform); !ok || !got.Equal(stamps) {
		t.Fatalf("unchanged layout: hit = %v, stamps %v", ok, got)
	}
	if ok, _ := cache.hit(rec, "other key", out, testPlatform); ok {
		t.Fatal("another key hit")
	}

	// A hard link moves only the blob's ctime: verified, new state.
	if err := os.Link(blob, filepath.Join(t.TempDir(), "link")); err != nil {
		t.Fatal(err)
	}
	ok, got := cache.hit(rec, "k", out, testPlatform)
	if !ok || got == nil || got.Equal(stamps) {
		t.Fatalf("linked blob: hit = %v, stamps changed = %v; want a verified hit with new stamps", ok, got != nil && !got.Equal(stamps))
	}
	rec.out = got

	// Same size, other bytes, times set back: ctime tells.
	data, _ := os.ReadFile(blob)
	bad := append([]byte("X"), data[1:]...)
	rewriteKeepingTimes(t, blob, bad)
	if ok, _ := cache.hit(rec, "k", out, testPlatform); ok {
		t.Fatal("a tampered blob with its mtime set back hit the cache")
	}
	rewriteKeepingTimes(t, blob, data)
	if ok, _ := cache.hit(rec, "k", out, testPlatform); !ok {
		t.Fatal("the restored blob did not verify")
	}

	// A torn blob.
	os.Chmod(blob, 0o644)
	if err := os.Truncate(blob, int64(len(data)/2)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := cache.hit(rec, "k", out, testPlatform); ok {
		t.Fatal("a torn blob hit the cache")
	}
}

// A record of an older stevedore (no state lines) and a torn record are
// read without state: their key still counts, after a full verification.
func TestCacheRecordWithoutStateVerifiesInFull(t *testing.T) {
	cache := cacheRecord{dir: t.TempDir()}
	out := filepath.Join(t.TempDir(), "out")
	digest, _ := writeTestLayout(t, out)
	os.WriteFile(cache.path("core-old"), []byte("k "+digest+"\n"), 0o644)
	rec := cache.read("core-old")
	if rec == nil || len(rec.out) != 0 {
		t.Fatalf("old record read as %+v", rec)
	}
	ok, stamps := cache.hit(rec, "k", out, testPlatform)
	if !ok || len(stamps) == 0 {
		t.Fatalf("old record: hit = %v with %d stamps, want a verified hit and the state to record", ok, len(stamps))
	}
	all, _ := verified.StampTree(out)
	if err := cache.store("core-new", &cacheEntry{key: "k", digest: digest, out: all,
		sources: map[string]sourceState{"/some/src": {sum: "abc", stamp: verified.Stamp{Ino: 1}}}}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(cache.path("core-new"))
	os.WriteFile(cache.path("core-torn"), data[:len(data)-20], 0o644)
	if rec := cache.read("core-torn"); rec == nil || len(rec.out) != 0 || len(rec.sources) != 0 {
		t.Fatalf("torn record read as %+v, want its key without state", rec)
	}
	if rec := cache.read("core-new"); rec == nil || len(rec.sources) != 1 || rec.sources["/some/src"].sum != "abc" {
		t.Fatalf("record read back as %+v", rec)
	}
	os.WriteFile(cache.path("core-garbage"), []byte("\x00\x00"), 0o644)
	if rec := cache.read("core-garbage"); rec != nil {
		t.Fatalf("garbage record read as %+v", rec)
	}
}

// A source is trusted, not hashed, while its stamp is the one recorded
// with its hash; any change (even a rewrite with the times set back)
// means hashing it, which finds the wrong content.
func TestVerifySourcesTrustsRecordedStamps(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "fetch", "core", "test")
	os.MkdirAll(dest, 0o755)
	good := []byte("the source\n")
	sum := sha256.Sum256(good)
	it := fetch.Item{Package: "core-test", Key: "src", File: "src.txt", SHA256: hex.EncodeToString(sum[:]),
		URLs: []string{"https://example.invalid/src.txt"}, Dest: dest}
	if err := os.WriteFile(it.Path(), good, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	at, err := verifySources(ctx, []fetch.Item{it}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, ok := at[it.Path()]
	if now, _ := verified.Lstat(it.Path()); !ok || st != now {
		t.Fatalf("verified stamp %v, file's %v", st, now)
	}

	// Bytes of the same size whose stamp a record claims verified are
	// trusted: proof that nothing hashed them.
	rewriteKeepingTimes(t, it.Path(), []byte("not source\n"))
	now, _ := verified.Lstat(it.Path())
	rec := &cacheEntry{sources: map[string]sourceState{it.Path(): {sum: it.SHA256, stamp: now}}}
	if _, err := verifySources(ctx, []fetch.Item{it}, rec); err != nil {
		t.Fatalf("a recorded stamp was not trusted: %v", err)
	}
	// The record's stamp is from before the rewrite: hashed, refused.
	rec.sources[it.Path()] = sourceState{sum: it.SHA256, stamp: st}
	if _, err := verifySources(ctx, []fetch.Item{it}, rec); err == nil {
		t.Fatal("a source rewritten with its times set back was trusted")
	}
}

// sourceStates records a source whose content stamp held while its links
// changed, and none whose content may have changed.
func TestSourceStatesAfterLinks(t *testing.T) {
	dest := t.TempDir()
	it := fetch.Item{File: "a", SHA256: "abc", Dest: dest}
	os.WriteFile(it.Path(), []byte("a"), 0o644)
	was, _ := verified.Lstat(it.Path())
	time.Sleep(10 * time.Millisecond)
	link := filepath.Join(dest, "link")
	os.Link(it.Path(), link)
	os.Remove(link)
	got := sourceStates([]fetch.Item{it}, map[string]verified.Stamp{it.Path(): was})
	now, _ := verified.Lstat(it.Path())
	if s, ok := got[it.Path()]; !ok || s.stamp != now || s.sum != "abc" {
		t.Fatalf("after a link: %+v, want the new stamp %v", got, now)
	}
	rewriteKeepingTimes(t, it.Path(), []byte("b"))
	os.Chtimes(it.Path(), time.Unix(5, 0), time.Unix(5, 0))
	if got := sourceStates([]fetch.Item{it}, map[string]verified.Stamp{it.Path(): was}); len(got) != 0 {
		t.Fatalf("after a rewrite: %+v, want nothing recorded", got)
	}
}
