package lock

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSweepSkipsLiveDirs(t *testing.T) {
	parent := t.TempDir()
	live, err := MkdirTemp(parent, "build-")
	if err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(parent, "build-dead")
	other := filepath.Join(parent, "keep")
	for _, d := range []string{dead, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := Sweep(parent, "build-"); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]bool{live.Path: true, dead: false, other: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s exists = %v, want %v", path, err == nil, want)
		}
	}
	if err := live.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(live.Path); !os.IsNotExist(err) {
		t.Errorf("Remove left %s", live.Path)
	}
}

func TestAcquireWaitsForExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "lock")
	ctx := context.Background()
	a, err := Acquire(ctx, path, Shared, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Acquire(ctx, path, Shared, func() { t.Error("two shared holders waited") })
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan bool, 1)
	done := make(chan error, 1)
	go func() {
		l, err := Acquire(ctx, path, Exclusive, func() { waited <- true })
		if err == nil {
			l.Release()
		}
		done <- err
	}()
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("exclusive lock did not wait for the shared holders")
	}
	a.Release()
	b.Release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	c, _ := Acquire(ctx, path, Exclusive, nil)
	if _, err := Acquire(short, path, Shared, nil); err == nil {
		t.Error("shared lock granted under an exclusive one")
	}
	c.Release()
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/a\040b\134c`); got != `/a b\c` {
		t.Errorf("unescape = %q", got)
	}
	if got := unescapeMountinfo(`/a\04`); got != `/a\04` {
		t.Errorf("unescape short = %q", got)
	}
}
