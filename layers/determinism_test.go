package layers

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// mkdirs creates dirs with explicit modes, independent of the umask.
func mkdirs(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		p := filepath.Join(root, d)
		mustOK(t, os.MkdirAll(p, 0o700))
		mustOK(t, unix.Chmod(p, 0o755))
	}
}

// determinismRun builds two layers, unpacks them and re-diffs the unpacked
// top, all under umask; it returns every digest it saw.
func determinismRun(t *testing.T, umask int) []Blob {
	old := unix.Umask(umask)
	defer unix.Umask(old)
	s := newStack(t)
	first := s.step(func(r string) {
		mkdirs(t, r, "d1/sub", "keep", "m")
		writeFile(t, filepath.Join(r, "d1/a"), "a", 0o644)
		writeFile(t, filepath.Join(r, "d1/sub/b"), "b", 0o600)
		writeFile(t, filepath.Join(r, "keep/k"), "k", 0o640)
		writeFile(t, filepath.Join(r, "m/lnk"), "data", 0o755)
	})
	second := s.step(func(r string) {
		mustOK(t, os.RemoveAll(filepath.Join(r, "d1")))
		mkdirs(t, r, "d1", "new/deep")
		writeFile(t, filepath.Join(r, "d1/new"), "n", 0o644)
		writeFile(t, filepath.Join(r, "new/deep/f"), "f", 0o4755)
		mustOK(t, os.Link(filepath.Join(r, "m/lnk"), filepath.Join(r, "m/lnk2")))
		mustOK(t, unix.Mkfifo(filepath.Join(r, "fifo"), 0o600))
		mustOK(t, unix.Chmod(filepath.Join(r, "fifo"), 0o620))
	})
	out := []Blob{first.blob, second.blob}
	u := newStack(t)
	for i, r := range []result{first, second} {
		dest := filepath.Join(u.root, "l"+itoa(int64(i)))
		mustOK(t, Unpack(context.Background(), bytes.NewReader(r.gz), r.blob, u.lowers, dest))
		out = append(out, u.diff(dest).blob)
		u.lowers = append(u.lowers, dest)
	}
	return out
}

// TestDeterminism repeats the same operations in other temp dirs, under
// other umasks and at other wall-clock times: the digests must not move.
func TestDeterminism(t *testing.T) {
	requireRoot(t)
	want := determinismRun(t, 0o022)
	for _, umask := range []int{0o000, 0o077} {
		time.Sleep(1100 * time.Millisecond) // a different second for every "now"
		if got := determinismRun(t, umask); !cmp.Equal(got, want) {
			t.Errorf("umask %03o: digests differ (-first +this):\n%s", umask, cmp.Diff(want, got))
		}
	}
	if want[0] != want[2] || want[1] != want[3] {
		t.Errorf("unpacked layers re-diff to other digests: %+v", want)
	}
}
