package explain

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"testing"
	"time"
)

// FuzzCompareContent checks the streaming content comparison against the
// obvious in-memory answer: a difference is found exactly when the inputs
// differ, at the first differing byte, and the hashes and sizes are right.
func FuzzCompareContent(f *testing.F) {
	f.Add([]byte("a\nb\n"), []byte("a\nc\n"))
	f.Add([]byte(""), []byte("x"))
	f.Add(bytes.Repeat([]byte("y"), maxLine+3), bytes.Repeat([]byte("y"), maxLine+4))
	f.Add([]byte("\x00\x01"), []byte("\x00\x02"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		sa, sb, fd, err := compareContent(bytes.NewReader(a), bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if sa.sum != sha256.Sum256(a) || sa.n != int64(len(a)) || sb.sum != sha256.Sum256(b) || sb.n != int64(len(b)) {
			t.Fatalf("sums wrong: %v %v", sa, sb)
		}
		if (fd == nil) != bytes.Equal(a, b) {
			t.Fatalf("firstDiff = %v for equal=%v", fd, bytes.Equal(a, b))
		}
		if fd != nil {
			if want := int64(commonPrefix(a, b)); fd.offset != want {
				t.Fatalf("offset = %d, want %d", fd.offset, want)
			}
			_ = fd.describe(sa, fd.a)
		}
	})
}

// FuzzHeaderDiffs checks that header comparison finds nothing for equal
// headers, is symmetric, and reports a field at most once.
func FuzzHeaderDiffs(f *testing.F) {
	f.Add("a", byte('0'), int64(0o644), 0, 0, int64(1), int64(3), "", "k", "v", "a", "b", byte('0'), int64(0o755), 1, 0, int64(5), int64(3), "l", "k", "w", "c", "d")
	f.Fuzz(func(t *testing.T, n1 string, t1 byte, m1 int64, u1, g1 int, mt1, s1 int64, l1, pk1, pv1, un1, gn1 string,
		t2 byte, m2 int64, u2, g2 int, mt2, s2 int64, l2, pk2, pv2, un2, gn2 string) {
		a := &tar.Header{Name: n1, Typeflag: t1, Mode: m1, Uid: u1, Gid: g1, ModTime: time.Unix(mt1, 0), Size: s1,
			Linkname: l1, PAXRecords: map[string]string{pk1: pv1}, Uname: un1, Gname: gn1}
		b := &tar.Header{Name: n1, Typeflag: t2, Mode: m2, Uid: u2, Gid: g2, ModTime: time.Unix(mt2, 0), Size: s2,
			Linkname: l2, PAXRecords: map[string]string{pk2: pv2}, Uname: un2, Gname: gn2}
		if d := headerDiffs(a, a); len(d) != 0 {
			t.Fatalf("equal headers differ: %v", d)
		}
		ab, ba := headerDiffs(a, b), headerDiffs(b, a)
		if len(ab) != len(ba) {
			t.Fatalf("asymmetric: %v vs %v", ab, ba)
		}
		seen := map[string]bool{}
		for i, d := range ab {
			if seen[d.Field] {
				t.Fatalf("field %s reported twice: %v", d.Field, ab)
			}
			seen[d.Field] = true
			if d.A == d.B || ba[i].A != d.B || ba[i].B != d.A || ba[i].Field != d.Field {
				t.Fatalf("bad difference %v / %v", d, ba[i])
			}
		}
	})
}
