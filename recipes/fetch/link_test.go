package fetch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLinkInto checks links, identical files left alone, changed files
// replaced, foreign files kept and temp files skipped.
func TestLinkInto(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "fetch", "core", "zlib")
	dst := filepath.Join(root, "packages", "core", "zlib", "fetch")
	writeFile(t, filepath.Join(src, "a.tar"), []byte("a"), 0o644)
	writeFile(t, filepath.Join(src, "b.tar"), []byte("b"), 0o644)
	writeFile(t, filepath.Join(src, "c.tar"), []byte("c new"), 0o644)
	writeFile(t, filepath.Join(src, ".c.tar.tmp-123"), []byte("partial"), 0o600)
	writeFile(t, filepath.Join(dst, "b.tar"), []byte("b"), 0o644)     // identical copy
	writeFile(t, filepath.Join(dst, "c.tar"), []byte("c old"), 0o644) // stale
	writeFile(t, filepath.Join(dst, "mine.txt"), []byte("x"), 0o644)
	old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	os.Chtimes(filepath.Join(dst, "b.tar"), old, old)

	for range 2 { // the second run must change nothing
		if err := LinkInto(src, dst); err != nil {
			t.Fatalf("LinkInto: %v", err)
		}
	}
	wantDir(t, dst, "a.tar", "b.tar", "c.tar", "mine.txt")
	for _, name := range []string{"a.tar", "c.tar"} {
		if !sameFile(t, filepath.Join(src, name), filepath.Join(dst, name)) {
			t.Errorf("%s is not hard-linked", name)
		}
	}
	if fi, _ := os.Stat(filepath.Join(dst, "b.tar")); !fi.ModTime().Equal(old) {
		t.Errorf("identical b.tar was rewritten")
	}
	wantFile(t, filepath.Join(dst, "c.tar"), newBlob("c new"))
}

// TestLinkIntoErrors checks the refusals.
func TestLinkIntoErrors(t *testing.T) {
	root := t.TempDir()
	src := filepath.Join(root, "src")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	err := LinkInto(src, filepath.Join(root, "dst"))
	if err == nil || !strings.Contains(err.Error(), "sub is not a regular file") {
		t.Errorf("LinkInto = %v, want a refusal of sub", err)
	}
	err = LinkInto(filepath.Join(root, "none"), filepath.Join(root, "dst"))
	if err == nil || !strings.Contains(err.Error(), "link fetch dir "+filepath.Join(root, "none")) {
		t.Errorf("LinkInto = %v, want the missing dir named", err)
	}
}

// TestCopyFile covers the copy fallback used across filesystems.
func TestCopyFile(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "s"), filepath.Join(dir, "d")
	writeFile(t, src, []byte("copied"), 0o640)
	if err := copyFile(src, dst); err != nil {
		t.Fatalf("copyFile: %v", err)
	}
	wantFile(t, dst, newBlob("copied"))
	wantMode(t, dst, 0o640)
	if sameFile(t, src, dst) {
		t.Error("copy is a hard link")
	}
	if err := copyFile(src, dst); err == nil {
		t.Error("copyFile over an existing file succeeded, want O_EXCL failure")
	}
}

// TestEqualFiles covers the content comparison LinkInto relies on.
func TestEqualFiles(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("z", 200<<10)
	for _, tt := range []struct {
		name string
		a, b string
		want bool
	}{
		{"equal", big, big, true},
		{"last byte differs", big, big[:len(big)-1] + "y", false},
		{"prefix", big, big[:100<<10], false},
		{"empty", "", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
			writeFile(t, a, []byte(tt.a), 0o644)
			writeFile(t, b, []byte(tt.b), 0o644)
			got, err := equalFiles(a, b)
			if err != nil || got != tt.want {
				t.Errorf("equalFiles = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}
