package assemble

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// stackOfLayers makes n overlay-format layer directories, bottom first:
// layer i writes x = i and f<i>; layer 1 deletes layer 0's "gone" (a
// whiteout) and replaces its directory "d" by an opaque one; layer 2
// appends to "grow". Whatever reads the stage must see the topmost
// version of each.
func stackOfLayers(t *testing.T, n int) []*Layer {
	t.Helper()
	root := t.TempDir()
	var ls []*Layer
	for i := 0; i < n; i++ {
		dir := filepath.Join(root, "layer-"+strconv.Itoa(i))
		must(t, os.MkdirAll(dir, 0o755))
		write := func(name, data string) {
			must(t, os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644))
		}
		write("x", strconv.Itoa(i))
		write("f"+strconv.Itoa(i), "")
		switch i {
		case 0:
			write("gone", "old")
			write("grow", "a")
			must(t, os.MkdirAll(filepath.Join(dir, "d"), 0o755))
			write("d/old", "old")
		case 1:
			must(t, unix.Mknod(filepath.Join(dir, "gone"), unix.S_IFCHR, 0))
			must(t, os.MkdirAll(filepath.Join(dir, "d"), 0o700))
			must(t, unix.Setxattr(filepath.Join(dir, "d"), "trusted.overlay.opaque", []byte("y"), 0))
			write("d/new", "new")
		case 2:
			write("grow", "ab")
		}
		ls = append(ls, &Layer{Dir: dir})
	}
	return ls
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkTopmost asserts that root shows the stack of stackOfLayers(n) with
// its last layer on top.
func checkTopmost(t *testing.T, root string, n int) {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(root, name))
		if err != nil {
			return "<" + err.Error() + ">"
		}
		return string(b)
	}
	if got, want := read("x"), strconv.Itoa(n-1); got != want {
		t.Errorf("x = %q, want %q: the stage's last layer must be on top", got, want)
	}
	if got := read("grow"); got != "ab" {
		t.Errorf("grow = %q, want the later RUN's \"ab\"", got)
	}
	if _, err := os.Lstat(filepath.Join(root, "gone")); !os.IsNotExist(err) {
		t.Errorf("gone, deleted by layer 1, is visible (err %v)", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "d/old")); !os.IsNotExist(err) {
		t.Errorf("d/old, hidden by layer 1's opaque d, is visible (err %v)", err)
	}
	if fi, err := os.Stat(filepath.Join(root, "d")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("d = %v, %v: want layer 1's 0700 directory", fi, err)
	}
	for i := 0; i < n; i++ {
		if _, err := os.Lstat(filepath.Join(root, "f"+strconv.Itoa(i))); err != nil {
			t.Errorf("f%d missing: %v", i, err)
		}
	}
}

// The order of a stage's layers at the mount boundary: the stage keeps its
// layers bottom first, and both ways of reading it (the read-write mount a
// RUN or COPY commits from, and the read-only view COPY --from and the
// differ read) must show the last layer on top, with every whiteout and
// opaque directory of the layers above applied. An earlier lowerDirs
// reversed the stack once more than layers does, and every test passed
// because no test had three layers that disagree.
func TestStageLayersMountBottomFirst(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlay mounts and trusted xattrs need root")
	}
	for _, n := range []int{3, 5} {
		t.Run(strconv.Itoa(n)+" layers", func(t *testing.T) {
			ls := stackOfLayers(t, n)
			d := &dispatcher{b: &Builder{Layers: OverlayLayers{}}, t: Target{Epoch: time.Unix(1, 0)}, work: t.TempDir(), log: os.Stderr}
			must(t, d.withMounted(context.Background(), ls, func(root string) error {
				checkTopmost(t, root, n)
				return nil
			}))
			s := &stageState{name: "t", layers: ls}
			err := d.commit(context.Background(), s, "", func(root string) error {
				checkTopmost(t, root, n)
				return os.WriteFile(filepath.Join(root, "grow"), []byte("abc"), 0o644)
			})
			must(t, err)
			if len(s.layers) != n+1 {
				t.Fatalf("%d layers after commit, want %d", len(s.layers), n+1)
			}
			top := s.layers[n].Dir
			if b, err := os.ReadFile(filepath.Join(top, "grow")); err != nil || string(b) != "abc" {
				t.Errorf("committed upper grow = %q, %v", b, err)
			}
			if _, err := os.Lstat(filepath.Join(top, "x")); !os.IsNotExist(err) {
				t.Errorf("the commit copied up x, which it did not change (err %v)", err)
			}
		})
	}
}
