package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestWriteKeepsOldOnError(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := Write(p, func(w io.Writer) error { _, err := w.Write([]byte("old")); return err }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := Write(p, func(w io.Writer) error { w.Write([]byte("half")); return boom }); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	got, _ := os.ReadFile(p)
	entries, _ := os.ReadDir(dir)
	if string(got) != "old" || len(entries) != 1 {
		t.Errorf("after a failed write: %q, %d entries", got, len(entries))
	}
	fi, _ := os.Stat(p)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode())
	}
}

// TestWriteSweepsDeadWritersTemps: a temp file of path whose writer died
// (flock free) is removed by the next Write of path; a live writer's (flock
// held) and another path's are not.
func TestWriteSweepsDeadWritersTemps(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f[1].tar")
	dead, live, other := filepath.Join(dir, ".f[1].tar.tmp-1"), filepath.Join(dir, ".f[1].tar.tmp-2"), filepath.Join(dir, ".g.tmp-3")
	for _, q := range []string{dead, live, other} {
		if err := os.WriteFile(q, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	if err := Write(p, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead writer's temp file is still there: %v", err)
	}
	for _, q := range []string{live, other, p} {
		if _, err := os.Stat(q); err != nil {
			t.Errorf("%s: %v", filepath.Base(q), err)
		}
	}
}

// TestWriteConcurrent: writers of one path sweep each other's temp files
// only when dead: concurrent Writes all succeed.
func TestWriteConcurrent(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	errs := make(chan error, 16)
	for i := 0; i < cap(errs); i++ {
		go func() {
			errs <- Write(p, func(w io.Writer) error { _, err := w.Write([]byte("data")); return err })
		}()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
