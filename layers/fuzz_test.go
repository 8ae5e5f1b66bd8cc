package layers

import (
	"archive/tar"
	"bytes"
	"strings"
	"testing"
	"time"
)

// hostileSeeds are archives that try to leave the target directory.
func hostileSeeds(t testing.TB) [][]byte {
	return [][]byte{
		makeTar(t, []tar.Header{{Name: "../../escape", Typeflag: tar.TypeReg, Size: 3}}),
		makeTar(t, []tar.Header{{Name: "ln", Typeflag: tar.TypeSymlink, Linkname: "/"}, {Name: "ln/escape", Typeflag: tar.TypeReg}}),
		makeTar(t, []tar.Header{{Name: "ln", Typeflag: tar.TypeSymlink, Linkname: "../.."}, {Name: "ln/canary/keep", Typeflag: tar.TypeReg, Size: 1}}),
		makeTar(t, []tar.Header{{Name: "hl", Typeflag: tar.TypeLink, Linkname: "../../canary/keep"}}),
		makeTar(t, []tar.Header{{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755}, {Name: "d/.wh..wh..opq", Typeflag: tar.TypeReg}, {Name: ".wh.d", Typeflag: tar.TypeReg}}),
	}
}

// FuzzUnpackTar feeds arbitrary bytes to Unpack: whatever it does with
// them, nothing outside its directory may change. Every run extracts into
// fresh temp dirs, so run it with a short -fuzzminimizetime (e.g. 3s): the
// default 60s minimization of each new input looks like a stall.
func FuzzUnpackTar(f *testing.F) {
	requireRoot(f)
	for _, s := range hostileSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkContained(t, data)
	})
}

// FuzzUnpackEntries builds well-formed tars from a small script, one entry
// per line ("<type> <name> <link>", type one of 0 1 2 5 6), which reaches
// deeper into the extractor than random bytes do.
func FuzzUnpackEntries(f *testing.F) {
	requireRoot(f)
	f.Add("2 ln /\n0 ln/escape")
	f.Add("2 a ../..\n5 a/canary\n0 a/canary/keep")
	f.Add("1 hl ../canary/keep\n0 hl")
	f.Add("5 d\n0 d/.wh..wh..opq\n2 d/x ../../canary\n0 d/x/keep")
	f.Fuzz(func(t *testing.T, script string) {
		var hdrs []tar.Header
		for _, line := range strings.Split(script, "\n") {
			parts := strings.SplitN(line, " ", 3)
			if len(parts) < 2 || len(parts[0]) != 1 || !strings.Contains("01256", parts[0]) {
				continue
			}
			h := tar.Header{Typeflag: parts[0][0], Name: parts[1], Mode: 0o755}
			if len(parts) == 3 {
				h.Linkname = parts[2]
			}
			hdrs = append(hdrs, h)
		}
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, h := range hdrs {
			if tw.WriteHeader(&h) != nil {
				return
			}
		}
		if tw.Close() != nil {
			return
		}
		checkContained(t, buf.Bytes())
	})
}

// FuzzHeaderRoundTrip writes one header as containerd's ChangeWriter does
// (FormatPAX hint, whole seconds) and canonicalizes it: the result must read
// back with the same fields and the clamped time, and canonicalizing the
// result again must not change a byte.
func FuzzHeaderRoundTrip(f *testing.F) {
	f.Add("a/b", "", byte('0'), int64(0o644), 0, 0, int64(1000), int64(1700000000))
	f.Add("ünïcødé.txt", "", byte('0'), int64(0o4755), 3000000, 3000001, int64(-86400), int64(1))
	f.Add(strings.Repeat("d", 60)+"/"+strings.Repeat("e", 89), "", byte('5'), int64(0o1777), 0, 0, int64(9000000000), int64(1))
	f.Add("ln", "/"+strings.Repeat("t", 120), byte('2'), int64(0o777), 1, 1, int64(5), int64(1))
	f.Fuzz(func(t *testing.T, name, link string, typ byte, mode int64, uid, gid int, mtime, epoch int64) {
		if !strings.ContainsRune("01256", rune(typ)) || uid < 0 || gid < 0 || epoch < 0 || epoch > maxUSTARTime {
			return
		}
		in := tar.Header{Name: name, Linkname: link, Typeflag: typ, Mode: mode & 0o7777, Uid: uid, Gid: gid,
			ModTime: time.Unix(mtime, 0), Format: tar.FormatPAX}
		var raw bytes.Buffer
		tw := tar.NewWriter(&raw)
		if tw.WriteHeader(&in) != nil || tw.Close() != nil {
			return
		}
		ep := time.Unix(epoch, 0)
		var once, twice bytes.Buffer
		if _, err := Canonicalize(&once, bytes.NewReader(raw.Bytes()), ep); err != nil {
			t.Fatalf("Canonicalize: %v", err)
		}
		if _, err := Canonicalize(&twice, bytes.NewReader(once.Bytes()), ep); err != nil {
			t.Fatalf("Canonicalize again: %v", err)
		}
		if !bytes.Equal(once.Bytes(), twice.Bytes()) {
			t.Fatalf("not idempotent:\n%x\n%x", once.Bytes(), twice.Bytes())
		}
		checkRoundTrip(t, once.Bytes(), in, ep)
	})
}

func checkRoundTrip(t *testing.T, b []byte, in tar.Header, epoch time.Time) {
	t.Helper()
	out, err := tar.NewReader(bytes.NewReader(b)).Next()
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	want := in.ModTime
	if want.After(epoch) {
		want = epoch
	}
	if out.Name != in.Name || out.Linkname != in.Linkname || out.Uid != in.Uid || out.Gid != in.Gid ||
		out.Mode != in.Mode || out.Typeflag != in.Typeflag || !out.ModTime.Equal(want) {
		t.Errorf("read back %+v, want %+v with mtime %v", out, in, want)
	}
}
