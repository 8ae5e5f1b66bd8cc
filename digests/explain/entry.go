package explain

import (
	"archive/tar"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// fieldDiff is one differing field of a tar entry.
type fieldDiff struct{ Field, A, B string }

const xattrPrefix = "SCHILY.xattr."

// paxField maps PAX keys that encode a header field to that field's name:
// a difference in such a record is only reported when the field itself is
// equal (for example USTAR prefix versus PAX path for the same name).
var paxField = map[string]string{
	"path": "name", "linkpath": "link target", "size": "size", "uid": "uid", "gid": "gid",
	"uname": "uname", "gname": "gname", "mtime": "mtime", "atime": "atime", "ctime": "ctime",
}

// headerDiffs compares every field of two tar headers of the same entry
// name: type, mode, owner, size, times, link target, devices, xattrs, PAX
// records and, when nothing else explains it, the header format.
func headerDiffs(a, b *tar.Header) []fieldDiff {
	var out []fieldDiff
	add := func(f, x, y string) {
		if x != y {
			out = append(out, fieldDiff{f, x, y})
		}
	}
	add("name", a.Name, b.Name)
	add("type", typeName(a.Typeflag), typeName(b.Typeflag))
	add("mode", fmt.Sprintf("%04o", a.Mode), fmt.Sprintf("%04o", b.Mode))
	add("uid", strconv.Itoa(a.Uid), strconv.Itoa(b.Uid))
	add("gid", strconv.Itoa(a.Gid), strconv.Itoa(b.Gid))
	add("uname", strconv.Quote(a.Uname), strconv.Quote(b.Uname))
	add("gname", strconv.Quote(a.Gname), strconv.Quote(b.Gname))
	add("size", strconv.FormatInt(a.Size, 10), strconv.FormatInt(b.Size, 10))
	add("mtime", fmtTime(a.ModTime), fmtTime(b.ModTime))
	add("atime", fmtTime(a.AccessTime), fmtTime(b.AccessTime))
	add("ctime", fmtTime(a.ChangeTime), fmtTime(b.ChangeTime))
	add("link target", strconv.Quote(a.Linkname), strconv.Quote(b.Linkname))
	add("devmajor", strconv.FormatInt(a.Devmajor, 10), strconv.FormatInt(b.Devmajor, 10))
	add("devminor", strconv.FormatInt(a.Devminor, 10), strconv.FormatInt(b.Devminor, 10))
	fields := map[string]bool{}
	for _, d := range out {
		fields[d.Field] = true
	}
	n := len(out)
	out = append(out, paxDiffs(a.PAXRecords, b.PAXRecords, fields)...)
	if len(out) == n && paxOnly(a, b) {
		add("format", a.Format.String(), b.Format.String())
	}
	return out
}

// paxOnly reports whether the headers have equal PAX records, so that a
// format difference is the only explanation left.
func paxOnly(a, b *tar.Header) bool { return len(paxDiffs(a.PAXRecords, b.PAXRecords, nil)) == 0 }

// paxDiffs compares PAX records; xattrs are reported as xattr.<name>.
func paxDiffs(a, b map[string]string, fields map[string]bool) []fieldDiff {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []fieldDiff
	for _, k := range keys {
		va, oka := a[k]
		vb, okb := b[k]
		if oka == okb && va == vb {
			continue
		}
		if f, ok := paxField[k]; ok && fields[f] {
			continue
		}
		name := "pax." + k
		if x, ok := strings.CutPrefix(k, xattrPrefix); ok {
			name = "xattr." + x
		}
		out = append(out, fieldDiff{name, paxValue(va, oka), paxValue(vb, okb)})
	}
	return out
}

func paxValue(v string, ok bool) string {
	if !ok {
		return Absent
	}
	return quoteShort(v, 200)
}

var typeNames = map[byte]string{
	tar.TypeReg: "regular", tar.TypeRegA: "regular (old)", tar.TypeLink: "hardlink",
	tar.TypeSymlink: "symlink", tar.TypeChar: "char device", tar.TypeBlock: "block device",
	tar.TypeDir: "directory", tar.TypeFifo: "fifo", tar.TypeCont: "contiguous",
	tar.TypeXHeader: "pax header", tar.TypeXGlobalHeader: "pax global header",
	tar.TypeGNUSparse: "gnu sparse", tar.TypeGNULongName: "gnu long name",
	tar.TypeGNULongLink: "gnu long link",
}

func typeName(t byte) string {
	if n, ok := typeNames[t]; ok {
		return fmt.Sprintf("%s (%q)", n, t)
	}
	return fmt.Sprintf("unknown (%q)", t)
}

// fmtTime formats a header time with its Unix seconds; zero is "<unset>".
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "<unset>"
	}
	u := t.UTC()
	if u.Nanosecond() != 0 {
		return fmt.Sprintf("%s (%d.%09d)", u.Format(time.RFC3339Nano), u.Unix(), u.Nanosecond())
	}
	return fmt.Sprintf("%s (%d)", u.Format(time.RFC3339), u.Unix())
}

// entryKind summarises an entry for "only in one image" reports.
func entryKind(h *tar.Header) string {
	return fmt.Sprintf("%s, mode %04o, size %d", typeName(h.Typeflag), h.Mode, h.Size)
}
