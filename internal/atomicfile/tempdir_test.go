package atomicfile

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSweepTempDirs: Sweep removes a temp dir whose writer died and keeps
// one TempDir still holds.
func TestSweepTempDirs(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "layout")
	dead := filepath.Join(dir, ".layout.tmp-1")
	if err := os.MkdirAll(filepath.Join(dead, "blobs"), 0o755); err != nil {
		t.Fatal(err)
	}
	live, unlock, err := TempDir(p)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	Sweep(p)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead writer's temp dir is still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("the live writer's temp dir was swept: %v", err)
	}
}
