package layers

import (
	"archive/tar"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// differCase is one situation of docs/buildkit-output.md §5.2–5.3: a lower
// layer, a change made through the overlay mount, and the entries the
// change's layer must hold, in order.
type differCase struct {
	name   string
	lower  func(t *testing.T, root string)
	change func(t *testing.T, root string)
	want   []entry
}

func TestDifferRules(t *testing.T) {
	for _, tc := range differCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t)
			if tc.lower != nil {
				s.step(func(root string) { tc.lower(t, root) })
			}
			got := entries(t, s.step(func(root string) { tc.change(t, root) }).tar)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("layer entries (-want +got):\n%s", diff)
			}
		})
	}
}

func differCases() []differCase {
	return append(append(treeCases(), metadataCases()...), specialCases()...)
}

// treeCases are about which paths appear: parents, deletes, opaque dirs,
// hardlinks.
func treeCases() []differCase {
	return []differCase{
		{
			name: "new file in new dirs includes parents, clamps mtime",
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "a/b/f"), "hi\n", 0o644)
			},
			want: []entry{dir("a/", 0o755), dir("a/b/", 0o755), file("a/b/f", 0o644, "hi\n")},
		},
		{
			name: "unchanged parent dir still listed once",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "bin/old"), "o", 0o755)
				setMtime(t, filepath.Join(r, "bin"), 1000, 0)
			},
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "bin/x"), "x", 0o755)
				writeFile(t, filepath.Join(r, "bin/y"), "y", 0o755)
				setMtime(t, filepath.Join(r, "bin"), 1000, 0)
			},
			want: []entry{{Name: "bin/", Type: tar.TypeDir, Mode: 0o755, ModTime: 1000}, file("bin/x", 0o755, "x"), file("bin/y", 0o755, "y")},
		},
		{
			name: "deletes become whiteouts with mtime 0, a dir as one entry",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "del"), "d", 0o644)
				writeFile(t, filepath.Join(r, "d2/c"), "c", 0o644)
				writeFile(t, filepath.Join(r, "keep/k"), "k", 0o644)
			},
			change: func(t *testing.T, r string) {
				mustOK(t, os.Remove(filepath.Join(r, "del")))
				mustOK(t, os.RemoveAll(filepath.Join(r, "d2")))
				mustOK(t, os.Remove(filepath.Join(r, "keep/k")))
			},
			want: []entry{whiteout(".wh.d2"), whiteout(".wh.del"), dir("keep/", 0o755), whiteout("keep/.wh.k")},
		},
		{
			name: "opaque dir expands into per-child whiteouts in name order",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "d1/a"), "a", 0o644)
				writeFile(t, filepath.Join(r, "d1/sub/b"), "b", 0o644)
				writeFile(t, filepath.Join(r, "d1/z"), "z", 0o644)
			},
			change: func(t *testing.T, r string) {
				mustOK(t, os.RemoveAll(filepath.Join(r, "d1")))
				writeFile(t, filepath.Join(r, "d1/new"), "new\n", 0o644)
				writeFile(t, filepath.Join(r, "d1/z"), "z", 0o644)
			},
			want: []entry{dir("d1/", 0o755), whiteout("d1/.wh.a"), file("d1/new", 0o644, "new\n"), whiteout("d1/.wh.sub"), file("d1/z", 0o644, "z")},
		},
		{
			name:  "hardlink to a lower file: new name carries the data, old name omitted (§5.6)",
			lower: func(t *testing.T, r string) { writeFile(t, filepath.Join(r, "m/lnk"), "data", 0o644) },
			change: func(t *testing.T, r string) {
				mustOK(t, os.Link(filepath.Join(r, "m/lnk"), filepath.Join(r, "m/lnk2")))
			},
			want: []entry{dir("m/", 0o755), file("m/lnk2", 0o644, "data")},
		},
		{
			name: "hardlinks within a layer: first name in walk order has the data",
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "z"), "zz", 0o600)
				mustOK(t, os.Link(filepath.Join(r, "z"), filepath.Join(r, "a")))
				mustOK(t, os.Link(filepath.Join(r, "z"), filepath.Join(r, "m")))
			},
			want: []entry{file("a", 0o600, "zz"), {Name: "m", Type: tar.TypeLink, Mode: 0o600, ModTime: testEpoch.Unix(), Link: "a"},
				{Name: "z", Type: tar.TypeLink, Mode: 0o600, ModTime: testEpoch.Unix(), Link: "a"}},
		},
	}
}

// metadataCases are about sameDirent: which changes make an entry.
func metadataCases() []differCase {
	return []differCase{
		{
			name: "chmod only",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "f"), "f", 0o644)
				setMtime(t, filepath.Join(r, "f"), 1000, 5)
			},
			change: func(t *testing.T, r string) { mustOK(t, os.Chmod(filepath.Join(r, "f"), 0o600)) },
			want:   []entry{{Name: "f", Type: tar.TypeReg, Mode: 0o600, Size: 1, ModTime: 1000, Data: "f"}},
		},
		{
			name: "touch only",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "f"), "f", 0o644)
				setMtime(t, filepath.Join(r, "f"), 1000, 0)
			},
			change: func(t *testing.T, r string) { setMtime(t, filepath.Join(r, "f"), 2000, 0) },
			want:   []entry{{Name: "f", Type: tar.TypeReg, Mode: 0o644, Size: 1, ModTime: 2000, Data: "f"}},
		},
		{
			name: "copy-up without change (chown to same owner) is not an entry",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "f"), "f", 0o644)
				setMtime(t, filepath.Join(r, "f"), 1000, 0)
			},
			change: func(t *testing.T, r string) { mustOK(t, os.Lchown(filepath.Join(r, "f"), 0, 0)) },
			want:   nil,
		},
		{
			name: "same size and truncated mtime but new content is an entry",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "f"), "aaaa", 0o644)
				setMtime(t, filepath.Join(r, "f"), 1000, 0)
			},
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "f"), "bbbb", 0o644)
				setMtime(t, filepath.Join(r, "f"), 1000, 0)
			},
			want: []entry{{Name: "f", Type: tar.TypeReg, Mode: 0o644, Size: 4, ModTime: 1000, Data: "bbbb"}},
		},
		{
			// BuildKit's rule, kept for parity: with nonzero nanoseconds
			// equal times stand for equal content. Real times are equal
			// only when copied (mv, cp -p) or made in one clock tick; the
			// README tells users about the second case.
			name: "same size and mtime with nanoseconds but new content is not an entry",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "f"), "aaaa", 0o644)
				setMtime(t, filepath.Join(r, "f"), 1000, 5)
			},
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "f"), "bbbb", 0o644)
				setMtime(t, filepath.Join(r, "f"), 1000, 5)
			},
			want: nil,
		},
		{
			name: "fifo replaced by a fifo with the same mode, owner and mtime is not an entry",
			lower: func(t *testing.T, r string) {
				mustOK(t, unix.Mkfifo(filepath.Join(r, "p"), 0o644))
				mustOK(t, unix.Chmod(filepath.Join(r, "p"), 0o644))
				setMtime(t, filepath.Join(r, "p"), 1000, 5)
			},
			change: func(t *testing.T, r string) {
				mustOK(t, unix.Mkfifo(filepath.Join(r, "q"), 0o644))
				mustOK(t, unix.Chmod(filepath.Join(r, "q"), 0o644))
				setMtime(t, filepath.Join(r, "q"), 1000, 5)
				mustOK(t, os.Rename(filepath.Join(r, "q"), filepath.Join(r, "p")))
			},
			want: nil,
		},
		{
			name: "dir whose only change is its mtime is not an entry",
			lower: func(t *testing.T, r string) {
				mustOK(t, os.Mkdir(filepath.Join(r, "d"), 0o755))
			},
			change: func(t *testing.T, r string) { setMtime(t, filepath.Join(r, "d"), 5000, 0) },
			want:   nil,
		},
	}
}

// specialCases are file kinds, mode bits, owners and xattrs.
func specialCases() []differCase {
	return []differCase{
		{
			name: "setuid, setgid and sticky bits",
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "su"), "", 0o4755)
				writeFile(t, filepath.Join(r, "sg"), "", 0o2711)
				mustOK(t, os.Mkdir(filepath.Join(r, "tmp"), 0o755))
				mustOK(t, unix.Chmod(filepath.Join(r, "tmp"), 0o1777))
			},
			want: []entry{file("sg", 0o2711, ""), file("su", 0o4755, ""), dir("tmp/", 0o1777)},
		},
		{
			name: "fifo, char and block devices; sockets skipped",
			change: func(t *testing.T, r string) {
				mustOK(t, unix.Mkfifo(filepath.Join(r, "fifo"), 0o600))
				mustOK(t, unix.Mknod(filepath.Join(r, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
				mustOK(t, unix.Mknod(filepath.Join(r, "loop"), unix.S_IFBLK|0o660, int(unix.Mkdev(7, 300))))
				mustOK(t, unix.Chmod(filepath.Join(r, "null"), 0o666))
				mustOK(t, unix.Chmod(filepath.Join(r, "loop"), 0o660))
				l, err := net.Listen("unix", filepath.Join(r, "sock"))
				mustOK(t, err)
				l.Close()
			},
			want: []entry{
				{Name: "fifo", Type: tar.TypeFifo, Mode: 0o600, ModTime: testEpoch.Unix()},
				{Name: "loop", Type: tar.TypeBlock, Mode: 0o660, ModTime: testEpoch.Unix(), Major: 7, Minor: 300},
				{Name: "null", Type: tar.TypeChar, Mode: 0o666, ModTime: testEpoch.Unix(), Major: 1, Minor: 3},
			},
		},
		{
			name: "owner and security.capability kept, user xattr dropped",
			change: func(t *testing.T, r string) {
				p := filepath.Join(r, "ping")
				writeFile(t, p, "p", 0o755)
				mustOK(t, os.Lchown(p, 1000, 2000))
				mustOK(t, unix.Lsetxattr(p, "security.capability", capNetRaw, 0))
				mustOK(t, unix.Lsetxattr(p, "user.note", []byte("x"), 0))
			},
			want: []entry{{Name: "ping", Type: tar.TypeReg, Mode: 0o755, Uid: 1000, Gid: 2000, Size: 1, ModTime: testEpoch.Unix(), Data: "p",
				PAX: map[string]string{"SCHILY.xattr.security.capability": string(capNetRaw)}}},
		},
		{
			name: "capability change alone is an entry",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "ping"), "p", 0o755)
				setMtime(t, filepath.Join(r, "ping"), 1000, 7)
			},
			change: func(t *testing.T, r string) {
				mustOK(t, unix.Lsetxattr(filepath.Join(r, "ping"), "security.capability", capNetRaw, 0))
			},
			want: []entry{{Name: "ping", Type: tar.TypeReg, Mode: 0o755, Size: 1, ModTime: 1000, Data: "p",
				PAX: map[string]string{"SCHILY.xattr.security.capability": string(capNetRaw)}}},
		},
		{
			name: "created and deleted in the same step leaves nothing",
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "tmpfile"), "t", 0o644)
				mustOK(t, os.Remove(filepath.Join(r, "tmpfile")))
			},
			want: nil,
		},
		{
			name: "rename is a whiteout plus the new name",
			lower: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "old"), "o", 0o644)
				setMtime(t, filepath.Join(r, "old"), 1000, 0)
			},
			change: func(t *testing.T, r string) {
				mustOK(t, os.Rename(filepath.Join(r, "old"), filepath.Join(r, "new")))
			},
			want: []entry{{Name: "new", Type: tar.TypeReg, Mode: 0o644, Size: 1, ModTime: 1000, Data: "o"}, whiteout(".wh.old")},
		},
	}
}

// capNetRaw is a VFS_CAP_REVISION_2 security.capability value for
// cap_net_raw+ep.
var capNetRaw = []byte{0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
