package fetch

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestStaleTempSwept: a temp file a killed fetch left next to a source is
// removed by the next fetch of that source; one a live fetch holds (its
// flock taken) is not.
func TestStaleTempSwept(t *testing.T) {
	b := newBlob("swept")
	dest := t.TempDir()
	mirror := t.TempDir()
	writeFile(t, filepath.Join(mirror, "s.tar"), b.data, 0o600) // copied, not linked
	dead := filepath.Join(dest, ".s.tar.tmp-123")
	live := filepath.Join(dest, ".s.tar.tmp-456")
	other := filepath.Join(dest, ".t.tar.tmp-789")
	for _, p := range []string{dead, live, other} {
		writeFile(t, p, []byte("partial"), 0o600)
	}
	f, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	it := item(dest, "s.tar", b, "http://127.0.0.1:1/never")
	if err := Fetch(context.Background(), []Item{it}, Options{Offline: true, MirrorDirs: []string{mirror}}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead writer's temp file is still there: %v", err)
	}
	for _, p := range []string{live, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
}
