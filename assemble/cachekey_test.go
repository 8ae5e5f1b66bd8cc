package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func treeSum(t *testing.T, dir string, known Known) string {
	t.Helper()
	h := sha256.New()
	if err := HashTree(h, "ctx", dir, false, known); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A file linked from a verified source is hashed by its known SHA-256,
// not read; every other file by its content.
func TestHashTreeKnownFiles(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "src.tar")
	os.WriteFile(src, []byte("verified bytes"), 0o644)
	if err := os.Link(src, filepath.Join(dir, "src.tar")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "stale.tar"), []byte("old"), 0o644)
	mt := time.Unix(1000, 0)
	for _, p := range []string{src, filepath.Join(dir, "stale.tar")} {
		os.Chtimes(p, mt, mt)
	}
	known, err := KnownFiles([]string{src}, []string{"aaaa"})
	if err != nil {
		t.Fatal(err)
	}
	base := treeSum(t, dir, known)

	// Same size and time, other bytes: a known file is not read again...
	os.WriteFile(src, []byte("VERIFIED BYTES"), 0o644)
	os.Chtimes(src, mt, mt)
	if got := treeSum(t, dir, known); got != base {
		t.Errorf("a known file was read: hash changed")
	}
	// ...its recorded sum counts...
	other, _ := KnownFiles([]string{src}, []string{"bbbb"})
	if got := treeSum(t, dir, other); got == base {
		t.Errorf("the known sum does not count")
	}
	// ...and an unknown file's content does.
	os.WriteFile(filepath.Join(dir, "stale.tar"), []byte("new"), 0o644)
	os.Chtimes(filepath.Join(dir, "stale.tar"), mt, mt)
	if got := treeSum(t, dir, known); got == base {
		t.Errorf("changing an unknown file did not change the hash")
	}
}

// HashLinks hashes what HashTree hashes for a directory of hard links to
// the same files: a cache key need not make the directory to be computed.
func TestHashLinksIsHashTreeOfLinks(t *testing.T) {
	srcDir, dir := t.TempDir(), t.TempDir()
	names := []string{"zlib-1.3.tar.gz", "a.patch", "B.txt", "m-n.tar.xz"}
	var paths, sums []string
	for i, n := range names {
		p := filepath.Join(srcDir, "src-"+n)
		os.WriteFile(p, []byte(n), 0o640+os.FileMode(i))
		paths = append(paths, p)
		sums = append(sums, "sum"+n)
		if err := os.Link(p, filepath.Join(dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	// One file is not known: both read its content.
	known, err := KnownFiles(paths[1:], sums[1:])
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if err := HashLinks(h, "ctx", names, paths, known); err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), treeSum(t, dir, known); got != want {
		t.Fatalf("HashLinks = %s, HashTree of the links = %s", got, want)
	}
	h.Reset()
	if err := HashLinks(h, "ctx", nil, nil, known); err != nil {
		t.Fatal(err)
	}
	if got, want := hex.EncodeToString(h.Sum(nil)), treeSum(t, t.TempDir(), known); got != want {
		t.Fatalf("HashLinks of nothing = %s, HashTree of an empty dir = %s", got, want)
	}
}
