package verified

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStampStringParse(t *testing.T) {
	for _, s := range []Stamp{{}, {Dev: 1<<64 - 1, Ino: 1<<63 + 5, Size: 7, Mode: 0o100444, Mtime: -3, Ctime: 1 << 62}} {
		got, err := Parse(strings.Fields(s.String()))
		if err != nil || got != s {
			t.Errorf("Parse(%q) = %v, %v", s, got, err)
		}
	}
	for _, bad := range []string{"1 2 3 4 5", "1 2 3 4 5 x", "-1 2 3 4 5 6", "1 2 3 -4 5 6"} {
		if _, err := Parse(strings.Fields(bad)); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// A tree's stamps hold until a recorded file changes in any way; new
// files do not count.
func TestTreeUnchanged(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "blobs"), 0o755)
	os.WriteFile(filepath.Join(dir, "blobs", "a"), []byte("a"), 0o444)
	os.WriteFile(filepath.Join(dir, "index.json"), []byte("{}"), 0o644)
	tr, err := StampTree(dir)
	if err != nil || len(tr) != 2 {
		t.Fatalf("StampTree = %v, %v", tr, err)
	}
	if !tr.Unchanged(dir) {
		t.Fatal("unchanged tree reported changed")
	}
	os.WriteFile(filepath.Join(dir, "new"), []byte("n"), 0o644)
	if !tr.Unchanged(dir) {
		t.Fatal("a new file counted")
	}
	fi, _ := os.Stat(filepath.Join(dir, "index.json"))
	time.Sleep(5 * time.Millisecond)
	os.Chtimes(filepath.Join(dir, "index.json"), fi.ModTime(), fi.ModTime())
	if tr.Unchanged(dir) {
		t.Fatal("a touched file (ctime moved) reported unchanged")
	}
	if (Tree{}).Unchanged(dir) {
		t.Fatal("an empty record trusted")
	}
}
