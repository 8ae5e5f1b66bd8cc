package layers

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// failingWriter accepts n bytes, then fails.
type failingWriter struct{ n int }

var errDiskFull = errors.New("disk full")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		n := f.n
		f.n = 0
		return n, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestWriteUpperdirErrors checks that a failing destination or a cancelled
// context ends the write with that error, without leaking goroutines or
// mounts.
func TestWriteUpperdirErrors(t *testing.T) {
	s := newStack(t)
	r := s.step(func(root string) {
		for i := 0; i < 50; i++ {
			writeFile(t, filepath.Join(root, "d", itoa(int64(i))), strings.Repeat("x", 100000), 0o644)
		}
	})
	views := func() map[string]bool {
		m := map[string]bool{}
		left, _ := filepath.Glob(filepath.Join(filepath.Dir(r.upper), ".upperview-*"))
		for _, l := range left {
			m[l] = true
		}
		return m
	}
	already := views()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		ctx  context.Context
		w    io.Writer
		want error
	}{
		{"writer fails early", context.Background(), &failingWriter{n: 100}, errDiskFull},
		{"writer fails late", context.Background(), &failingWriter{n: 3000000}, errDiskFull},
		{"cancelled", cancelled, io.Discard, context.Canceled},
	}
	before := runtime.NumGoroutine()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := WriteUpperdir(tc.ctx, tc.w, emptyView(t), r.upper, s.epoch)
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("goroutines: %d before, %d after", before, after)
	}
	for v := range views() {
		if !already[v] {
			t.Errorf("upperdir view left behind: %s", v)
		}
	}
}

// TestBadEpoch checks the epoch range is enforced up front.
func TestBadEpoch(t *testing.T) {
	for _, ep := range []time.Time{time.Unix(-1, 0), time.Unix(maxUSTARTime+1, 0), time.Unix(5, 1)} {
		if _, err := Canonicalize(io.Discard, strings.NewReader(""), ep); err == nil || !strings.Contains(err.Error(), "epoch") {
			t.Errorf("epoch %v: err = %v, want an epoch error", ep, err)
		}
	}
}

// emptyView mounts the read-only view of no lowers.
func emptyView(t *testing.T) string {
	t.Helper()
	view := filepath.Join(t.TempDir(), "view")
	mustOK(t, os.Mkdir(view, 0o755))
	unmount, err := MountReadOnly(nil, view)
	mustOK(t, err)
	t.Cleanup(func() { mustOK(t, unmount()) })
	return view
}
