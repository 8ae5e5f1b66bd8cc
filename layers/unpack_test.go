package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// buildTwoLayers makes a lower with a bit of everything and a change with
// whiteouts, an opaque dir, hardlinks, a device, a capability and PAX names.
func buildTwoLayers(t *testing.T) (*stack, []result) {
	s := newStack(t)
	r1 := s.step(func(r string) {
		writeFile(t, filepath.Join(r, "d1/a"), "a", 0o644)
		writeFile(t, filepath.Join(r, "d1/sub/b"), "b", 0o644)
		writeFile(t, filepath.Join(r, "del"), "d", 0o644)
		writeFile(t, filepath.Join(r, "keep/k"), "k", 0o640)
		writeFile(t, filepath.Join(r, "m/lnk"), "data", 0o644)
		mustOK(t, os.Symlink("../keep/k", filepath.Join(r, "m/sym")))
	})
	r2 := s.step(func(r string) {
		mustOK(t, os.Remove(filepath.Join(r, "del")))
		mustOK(t, os.RemoveAll(filepath.Join(r, "d1")))
		writeFile(t, filepath.Join(r, "d1/new"), "new", 0o644)
		mustOK(t, os.Link(filepath.Join(r, "m/lnk"), filepath.Join(r, "m/lnk2")))
		writeFile(t, filepath.Join(r, "su"), "s", 0o755)
		mustOK(t, os.Lchown(filepath.Join(r, "su"), 3000000, 7))
		mustOK(t, unix.Chmod(filepath.Join(r, "su"), 0o4755)) // after chown, which clears setuid
		mustOK(t, unix.Lsetxattr(filepath.Join(r, "su"), "security.capability", capNetRaw, 0))
		mustOK(t, os.Link(filepath.Join(r, "su"), filepath.Join(r, "su2")))
		mustOK(t, unix.Mknod(filepath.Join(r, "null"), unix.S_IFCHR|0o666, int(unix.Mkdev(1, 3))))
		mustOK(t, unix.Mkfifo(filepath.Join(r, "fifo"), 0o600))
		writeFile(t, filepath.Join(r, "ünï", strings.Repeat("n", 150)), "long", 0o600)
		setMtime(t, filepath.Join(r, "keep/k"), 1000, 0)
	})
	return s, []result{r1, r2}
}

// TestUnpackRoundTrip unpacks the blobs of two layers into fresh layer
// directories and diffs them again: the same blobs must come out, which
// proves whiteouts, owners, modes, times, hardlinks, devices and
// capabilities survive (except what BuildKit loses too, see below).
func TestUnpackRoundTrip(t *testing.T) {
	s, rs := buildTwoLayers(t)
	u := newStack(t)
	for i, r := range rs {
		dest := filepath.Join(u.root, "layer"+string(rune('0'+i)))
		if err := Unpack(context.Background(), bytes.NewReader(r.gz), r.blob, u.lowers, dest); err != nil {
			t.Fatalf("Unpack layer %d: %v", i, err)
		}
		got := u.diff(dest)
		u.lowers = append(u.lowers, dest)
		if got.blob != r.blob {
			t.Errorf("layer %d re-diffed: %+v, want %+v\n%s", i, got.blob, r.blob, cmp.Diff(entries(t, r.tar), entries(t, got.tar)))
		}
	}
	top := u.lowers[1]
	st := lstat(t, filepath.Join(top, "del"))
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != 0 {
		t.Errorf("del: mode %o rdev %d, want a 0/0 char device whiteout", st.Mode, st.Rdev)
	}
	a, b := lstat(t, filepath.Join(top, "su")), lstat(t, filepath.Join(top, "su2"))
	if a.Ino != b.Ino || a.Mode&0o7777 != 0o4755 || a.Uid != 3000000 {
		t.Errorf("su: ino %d/%d mode %o uid %d, want one inode, 4755, uid 3000000", a.Ino, b.Ino, a.Mode, a.Uid)
	}
	if k := lstat(t, filepath.Join(top, "keep/k")); k.Mtim.Sec != 1000 || k.Mtim.Nsec != 0 {
		t.Errorf("keep/k mtime %d.%09d, want 1000.000000000", k.Mtim.Sec, k.Mtim.Nsec)
	}
	_ = s
}

// TestUnpackNegativeMtime pins a quirk shared with BuildKit: containerd's
// Apply bounds times before 1970 to 0 when it unpacks a base layer.
func TestUnpackNegativeMtime(t *testing.T) {
	requireRoot(t)
	data := makeTar(t, []tar.Header{{Name: "old", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(-86400, 0), Format: tar.FormatPAX}})
	dest := filepath.Join(t.TempDir(), "layer")
	mustOK(t, Unpack(context.Background(), bytes.NewReader(data), blobOf(t, data, false), nil, dest))
	if st := lstat(t, filepath.Join(dest, "old")); st.Mtim.Sec != 0 {
		t.Errorf("mtime %d, want 0", st.Mtim.Sec)
	}
}

func lstat(t *testing.T, p string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	mustOK(t, unix.Lstat(p, &st))
	return st
}

// TestUnpackOpaque checks the OCI opaque marker and plain whiteouts
// become overlay's forms in a non-bottom layer.
func TestUnpackOpaque(t *testing.T) {
	requireRoot(t)
	tarBytes := makeTar(t, []tar.Header{
		{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "d/.wh..wh..opq", Typeflag: tar.TypeReg},
		{Name: "d/f", Typeflag: tar.TypeReg, Mode: 0o644},
		{Name: ".wh.gone", Typeflag: tar.TypeReg},
	})
	root := t.TempDir()
	lower := filepath.Join(root, "lower")
	mustOK(t, os.MkdirAll(filepath.Join(lower, "d"), 0o755))
	dest := filepath.Join(root, "layer")
	b := blobOf(t, tarBytes, false)
	mustOK(t, Unpack(context.Background(), bytes.NewReader(tarBytes), b, []string{lower}, dest))
	val := make([]byte, 8)
	n, err := unix.Lgetxattr(filepath.Join(dest, "d"), "trusted.overlay.opaque", val)
	if err != nil || string(val[:n]) != "y" {
		t.Errorf("d opaque xattr %q, %v; want y", val[:n], err)
	}
	if _, err := os.Lstat(filepath.Join(dest, "d/.wh..wh..opq")); !os.IsNotExist(err) {
		t.Errorf("opaque marker written as a file: %v", err)
	}
	if st := lstat(t, filepath.Join(dest, "gone")); st.Mode&unix.S_IFMT != unix.S_IFCHR {
		t.Errorf("gone: mode %o, want whiteout device", st.Mode)
	}
}

// TestUnpackVerifies checks that a wrong digest, diffID or size is an
// error and leaves no directory behind, and that plain tars are accepted.
func TestUnpackVerifies(t *testing.T) {
	requireRoot(t)
	tarBytes := makeTar(t, []tar.Header{{Name: "f", Typeflag: tar.TypeReg, Mode: 0o644}})
	good := blobOf(t, tarBytes, true)
	gz := gzipBytes(t, tarBytes)
	corrupt := bytes.Clone(gz)
	corrupt[len(corrupt)-5] ^= 0xff // the gzip trailer's length field
	cases := []struct {
		name    string
		data    []byte
		want    Blob
		wantErr string
	}{
		{"good gzip", gz, good, ""},
		{"plain tar", tarBytes, blobOf(t, tarBytes, false), ""},
		{"wrong digest", gz, Blob{Digest: good.DiffID, DiffID: good.DiffID, Size: good.Size}, "verify blob"},
		{"wrong diffID", gz, Blob{Digest: good.Digest, DiffID: good.Digest, Size: good.Size}, "verify diffID"},
		{"wrong size", gz, Blob{Digest: good.Digest, DiffID: good.DiffID, Size: good.Size + 1}, "bytes, want"},
		{"corrupt gzip", corrupt, good, "unpack layer"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "layer")
			err := Unpack(context.Background(), bytes.NewReader(tc.data), tc.want, nil, dest)
			if tc.wantErr == "" {
				mustOK(t, err)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tc.wantErr)
			}
			if _, serr := os.Lstat(dest); !os.IsNotExist(serr) {
				t.Errorf("dest exists after error: %v", serr)
			}
			if left, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*")); len(left) != 0 {
				t.Errorf("temp dirs left: %v", left)
			}
		})
	}
}

// TestUnpackStaysInside extracts hostile archives next to a canary
// directory that must stay untouched.
func TestUnpackStaysInside(t *testing.T) {
	requireRoot(t)
	cases := map[string][]tar.Header{
		"dotdot":            {{Name: "../../escape", Typeflag: tar.TypeReg, Mode: 0o644}},
		"absolute":          {{Name: "/escape", Typeflag: tar.TypeReg, Mode: 0o644}},
		"symlink parent":    {{Name: "ln", Typeflag: tar.TypeSymlink, Linkname: "/"}, {Name: "ln/escape", Typeflag: tar.TypeReg}},
		"relative symlink":  {{Name: "ln", Typeflag: tar.TypeSymlink, Linkname: "../../canary"}, {Name: "ln/escape", Typeflag: tar.TypeReg}},
		"hardlink outside":  {{Name: "hl", Typeflag: tar.TypeLink, Linkname: "../../canary/keep"}},
		"symlink then file": {{Name: "f", Typeflag: tar.TypeSymlink, Linkname: "../canary/keep"}, {Name: "f", Typeflag: tar.TypeReg, Size: 0}},
		"whiteout up":       {{Name: "a/.wh...", Typeflag: tar.TypeReg}},
	}
	for name, hdrs := range cases {
		t.Run(name, func(t *testing.T) {
			checkContained(t, makeTar(t, hdrs))
		})
	}
}

// checkContained unpacks data (errors allowed) and fails if anything
// outside the target changed.
func checkContained(t *testing.T, data []byte) {
	t.Helper()
	base := t.TempDir()
	canary := filepath.Join(base, "canary")
	mustOK(t, os.MkdirAll(canary, 0o755))
	writeFile(t, filepath.Join(canary, "keep"), "keep", 0o644)
	before := snapshot(t, base)
	dest := filepath.Join(base, "w", "layer")
	mustOK(t, os.MkdirAll(filepath.Dir(dest), 0o755))
	_ = Unpack(context.Background(), bytes.NewReader(data), blobOf(t, data, false), []string{canary}, dest)
	after := snapshot(t, base)
	for p := range after {
		if strings.HasPrefix(p, "w/layer/") || p == "w/layer" {
			delete(after, p)
		}
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("unpack changed things outside its directory (-before +after):\n%s", diff)
	}
}

// snapshot records path → mode, size, mtime, nlink under dir.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	mustOK(t, filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		st := fi.Sys().(*syscall.Stat_t)
		out[rel] = strings.Join([]string{fi.Mode().String(), itoa(fi.Size()), itoa(st.Mtim.Nano()), itoa(int64(st.Nlink))}, " ")
		if fi.IsDir() && rel != "." && rel != "w" && rel != "canary" && !strings.HasPrefix(rel, "canary") {
			return filepath.SkipDir
		}
		return nil
	}))
	delete(out, ".")
	delete(out, "w")
	return out
}
