package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testEpoch is far enough from 0 that "older than the epoch" is easy to
// build and every file created now is "newer".
var testEpoch = time.Unix(1700000000, 0)

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for overlay mounts")
	}
}

// stack is a stage's filesystem under test: overlay layer directories
// bottom first, changed one step at a time through a real overlay mount.
type stack struct {
	t      testing.TB
	root   string
	lowers []string
	epoch  time.Time
}

func newStack(t testing.TB) *stack {
	t.Helper()
	requireRoot(t)
	return &stack{t: t, root: t.TempDir(), epoch: testEpoch}
}

// result is one layer made by a step.
type result struct {
	tar   []byte
	blob  Blob
	gz    []byte
	upper string
}

// step mounts the stack with a fresh upper, runs fn in the merged root,
// unmounts, writes the layer and pushes the upper onto the stack.
func (s *stack) step(fn func(root string)) result {
	s.t.Helper()
	n := len(s.lowers)
	dir := filepath.Join(s.root, strconv.Itoa(n))
	upper, work, merged := filepath.Join(dir, "u"), filepath.Join(dir, "w"), filepath.Join(dir, "m")
	for _, d := range []string{upper, work, merged} {
		mustOK(s.t, os.MkdirAll(d, 0o755))
	}
	mustOK(s.t, os.Chmod(upper, 0o755))
	unmount, err := Mount(s.lowers, upper, work, merged)
	if err != nil {
		s.t.Fatalf("mount: %v", err)
	}
	func() {
		defer func() { mustOK(s.t, unmount()) }()
		fn(merged)
	}()
	r := s.diff(upper)
	s.lowers = append(s.lowers, upper)
	return r
}

// diff writes the layer of upper over the current lowers twice, as a tar
// and as a gzip blob, and checks that both agree on the diffID.
func (s *stack) diff(upper string) result {
	s.t.Helper()
	view := filepath.Join(s.root, fmt.Sprintf("view%d", len(s.lowers)))
	mustOK(s.t, os.MkdirAll(view, 0o755))
	unmount, err := MountReadOnly(s.lowers, view)
	if err != nil {
		s.t.Fatalf("mount lower view: %v", err)
	}
	defer func() { mustOK(s.t, unmount()) }()
	var tarBuf, gzBuf bytes.Buffer
	diffID, err := WriteUpperdir(context.Background(), &tarBuf, view, upper, s.epoch)
	if err != nil {
		s.t.Fatalf("WriteUpperdir: %v", err)
	}
	blob, err := WriteLayer(context.Background(), &gzBuf, view, upper, s.epoch)
	if err != nil {
		s.t.Fatalf("WriteLayer: %v", err)
	}
	if blob.DiffID != diffID {
		s.t.Fatalf("WriteLayer diffID %s != WriteUpperdir diffID %s", blob.DiffID, diffID)
	}
	return result{tar: tarBuf.Bytes(), blob: blob, gz: gzBuf.Bytes(), upper: upper}
}

func mustOK(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// entry is what a test asserts about one tar header.
type entry struct {
	Name     string
	Type     byte
	Mode     int64
	Uid, Gid int
	Size     int64
	ModTime  int64
	Link     string
	Major    int64
	Minor    int64
	PAX      map[string]string
	Data     string
}

// entries reads a tar back with archive/tar.
func entries(t testing.TB, b []byte) []entry {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var out []entry
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		mustOK(t, err)
		e := entry{Name: h.Name, Type: h.Typeflag, Mode: h.Mode, Uid: h.Uid, Gid: h.Gid, Size: h.Size,
			ModTime: h.ModTime.Unix(), Link: h.Linkname, Major: h.Devmajor, Minor: h.Devminor, Data: string(data)}
		if len(h.PAXRecords) > 0 {
			e.PAX = h.PAXRecords
		}
		if h.Uname != "" || h.Gname != "" || !h.AccessTime.IsZero() || !h.ChangeTime.IsZero() {
			t.Errorf("%s: uname %q gname %q atime %v ctime %v, want none", h.Name, h.Uname, h.Gname, h.AccessTime, h.ChangeTime)
		}
		out = append(out, e)
	}
}

// dir, file and friends build expected entries tersely; mtime is the
// clamped test epoch unless set.
func dir(name string, mode int64) entry {
	return entry{Name: name, Type: tar.TypeDir, Mode: mode, ModTime: testEpoch.Unix()}
}

func file(name string, mode int64, data string) entry {
	return entry{Name: name, Type: tar.TypeReg, Mode: mode, Size: int64(len(data)), ModTime: testEpoch.Unix(), Data: data}
}

func whiteout(name string) entry {
	return entry{Name: name, Type: tar.TypeReg}
}

func writeFile(t testing.TB, path, data string, mode os.FileMode) {
	t.Helper()
	mustOK(t, os.MkdirAll(filepath.Dir(path), 0o755))
	mustOK(t, os.WriteFile(path, []byte(data), 0o600))
	mustOK(t, unix.Chmod(path, uint32(mode))) // raw bits: 04000 is setuid

}

func setMtime(t testing.TB, path string, sec, nsec int64) {
	t.Helper()
	ts := time.Unix(sec, nsec)
	mustOK(t, os.Chtimes(path, ts, ts))
}
