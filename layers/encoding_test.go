package layers

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// encodingCase is one rule of docs/buildkit-output.md §5.4: a single entry made
// in an empty stage and the raw header blocks it must produce (parents
// included).
type encodingCase struct {
	name   string
	lower  func(t *testing.T, root string)
	change func(t *testing.T, root string)
	want   []rawHeader
}

var epochOctal = octal(testEpoch.Unix(), 12)

func reg(name, mode string) rawHeader {
	return rawHeader{Name: name, Type: '0', Mode: mode, Uid: "0000000", Gid: "0000000", Mtime: epochOctal, Magic: ustar}
}

func rawDir(name, prefix string) rawHeader {
	h := reg(name, "0000755")
	h.Type, h.Prefix = '5', prefix
	return h
}

func withPAX(h rawHeader, paxName string, records string) rawHeader {
	h.PAXName, h.PAXMode, h.PAXMtime, h.PAX = paxName, "0000000", "00000000000", records
	return h
}

func TestEncodingRules(t *testing.T) {
	for _, tc := range encodingCases() {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t)
			if tc.lower != nil {
				s.step(func(root string) { tc.lower(t, root) })
			}
			got := rawHeaders(t, s.step(func(root string) { tc.change(t, root) }).tar)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("raw headers (-want +got):\n%s", diff)
			}
		})
	}
}

func encodingCases() []encodingCase {
	target := "/" + strings.Repeat("t", 119)
	d60, e89 := strings.Repeat("d", 60), strings.Repeat("e", 89)
	a99, b99, c100 := strings.Repeat("a", 99), strings.Repeat("b", 99), strings.Repeat("c", 100)
	x200 := strings.Repeat("x", 200)
	return []encodingCase{
		{
			name:   "symlink target over 100 bytes gets PAX linkpath",
			change: func(t *testing.T, r string) { mustOK(t, os.Symlink(target, filepath.Join(r, "ln"))) },
			want: []rawHeader{withPAX(rawHeader{Name: "ln", Type: '2', Mode: "0000777", Uid: "0000000", Gid: "0000000",
				Mtime: epochOctal, Magic: ustar, Link: target[:100]}, "PaxHeaders.0/ln", paxRecords("linkpath", target))},
		},
		{
			name:   "150-char path splits into USTAR prefix, no PAX",
			change: func(t *testing.T, r string) { writeFile(t, filepath.Join(r, d60, e89), "", 0o644) },
			want:   []rawHeader{rawDir(d60+"/", ""), func() rawHeader { h := reg(e89, "0000644"); h.Prefix = d60; return h }()},
		},
		{
			// Go replaces a '/' that ends the truncated 100-byte name with NUL.
			name:   "300-char path gets PAX path; its 200-char parent still splits",
			change: func(t *testing.T, r string) { writeFile(t, filepath.Join(r, a99, b99, c100), "", 0o644) },
			want: []rawHeader{
				rawDir(a99+"/", ""), rawDir(b99+"/", a99),
				withPAX(reg(a99, "0000644"), a99, paxRecords("path", a99+"/"+b99+"/"+c100)),
			},
		},
		{
			name:   "single 200-char component gets PAX path",
			change: func(t *testing.T, r string) { writeFile(t, filepath.Join(r, x200), "", 0o644) },
			want:   []rawHeader{withPAX(reg(x200[:100], "0000644"), ("PaxHeaders.0/" + x200)[:100], paxRecords("path", x200))},
		},
		{
			name:   "non-ASCII name gets PAX path, USTAR name loses the non-ASCII bytes",
			change: func(t *testing.T, r string) { writeFile(t, filepath.Join(r, "ünïcødé.txt"), "", 0o644) },
			want:   []rawHeader{withPAX(reg("ncd.txt", "0000644"), "PaxHeaders.0/ncd.txt", paxRecords("path", "ünïcødé.txt"))},
		},
		{
			name: "uid and gid over 2097151 get sorted PAX records, USTAR fields 0",
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "big"), "", 0o644)
				mustOK(t, os.Lchown(filepath.Join(r, "big"), 3000000, 3000001))
			},
			want: []rawHeader{withPAX(reg("big", "0000644"), "PaxHeaders.0/big", paxRecords("gid", "3000001", "uid", "3000000"))},
		},
		{
			name: "mtimes: older kept, newer and huge clamped, sub-second truncated, negative in PAX",
			change: func(t *testing.T, r string) {
				for name, ts := range map[string][2]int64{"old": {1000, 0}, "sub": {1000, 500000000}, "huge": {9000000000, 0}, "neg": {-86400, 0}} {
					writeFile(t, filepath.Join(r, name), "", 0o644)
					setMtime(t, filepath.Join(r, name), ts[0], ts[1])
				}
				writeFile(t, filepath.Join(r, "new"), "", 0o644)
			},
			want: []rawHeader{
				reg("huge", "0000644"),
				withPAX(func() rawHeader { h := reg("neg", "0000644"); h.Mtime = "00000000000"; return h }(), "PaxHeaders.0/neg", paxRecords("mtime", "-86400")),
				reg("new", "0000644"),
				func() rawHeader { h := reg("old", "0000644"); h.Mtime = octal(1000, 12); return h }(),
				func() rawHeader { h := reg("sub", "0000644"); h.Mtime = octal(1000, 12); return h }(),
			},
		},
		{
			name:  "whiteout: regular, mode 0, owner 0, mtime 0; hardlink: type 1, size 0",
			lower: func(t *testing.T, r string) { writeFile(t, filepath.Join(r, "gone"), "g", 0o644) },
			change: func(t *testing.T, r string) {
				mustOK(t, os.Remove(filepath.Join(r, "gone")))
				writeFile(t, filepath.Join(r, "a"), "a", 0o600)
				mustOK(t, os.Link(filepath.Join(r, "a"), filepath.Join(r, "b")))
			},
			want: []rawHeader{
				reg("a", "0000600"),
				func() rawHeader { h := reg("b", "0000600"); h.Type, h.Link = '1', "a"; return h }(),
				func() rawHeader { h := reg(".wh.gone", "0000000"); h.Mtime = "00000000000"; return h }(),
			},
		},
		{
			name: "security.capability as a PAX xattr record with raw bytes, user.* dropped",
			change: func(t *testing.T, r string) {
				writeFile(t, filepath.Join(r, "ping"), "", 0o755)
				mustOK(t, unix.Lsetxattr(filepath.Join(r, "ping"), "security.capability", capNetRaw, 0))
				mustOK(t, unix.Lsetxattr(filepath.Join(r, "ping"), "user.x", []byte("y"), 0))
			},
			want: []rawHeader{withPAX(reg("ping", "0000755"), "PaxHeaders.0/ping",
				paxRecords("SCHILY.xattr.security.capability", string(capNetRaw)))},
		},
		{
			name: "device numbers are written, also as zero for others",
			change: func(t *testing.T, r string) {
				mustOK(t, unix.Mknod(filepath.Join(r, "c"), unix.S_IFCHR|0o600, int(unix.Mkdev(5, 1))))
			},
			want: []rawHeader{func() rawHeader { h := reg("c", "0000600"); h.Type = '3'; return h }()},
		},
	}
}

// TestRawDeviceFields checks the devmajor/devminor octal fields directly.
func TestRawDeviceFields(t *testing.T) {
	s := newStack(t)
	r := s.step(func(root string) {
		mustOK(t, unix.Mknod(filepath.Join(root, "c"), unix.S_IFCHR|0o600, int(unix.Mkdev(5, 1))))
		writeFile(t, filepath.Join(root, "f"), "", 0o644)
	})
	got := []string{field(r.tar[329:337]), field(r.tar[337:345]), field(r.tar[512+329 : 512+337]), field(r.tar[512+337 : 512+345])}
	want := []string{"0000005", "0000001", "0000000", "0000000"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("devmajor/devminor fields (-want +got):\n%s", diff)
	}
}

// TestEmptyChange checks that a step changing nothing is the empty tar.
func TestEmptyChange(t *testing.T) {
	s := newStack(t)
	s.step(func(root string) { writeFile(t, filepath.Join(root, "f"), "f", 0o644) })
	r := s.step(func(string) {})
	if !cmp.Equal(r.tar, make([]byte, 1024)) {
		t.Errorf("empty change tar is %d bytes %x..., want 1024 zero bytes", len(r.tar), r.tar[:min(len(r.tar), 16)])
	}
	if got, want := r.blob.DiffID.String(), emptyDiffID; got != want {
		t.Errorf("diffID %s, want %s", got, want)
	}
	if got, want := r.blob.Digest.String(), emptyBlobDigest; got != want || r.blob.Size != 32 {
		t.Errorf("blob %s size %d, want %s size 32", got, r.blob.Size, want)
	}
}
