package layers

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// rawHeader is one entry as its header blocks hold it, without
// archive/tar's interpretation: what a byte-for-byte test must see.
type rawHeader struct {
	Name, Prefix, Link string
	Type               byte
	Mode, Uid, Gid     string
	Mtime, Magic       string
	PAXName            string // name field of a preceding 'x' header
	PAXMode, PAXMtime  string
	PAX                string // raw records of a preceding 'x' header
}

// rawHeaders walks the 512-byte blocks of a tar stream.
func rawHeaders(t testing.TB, b []byte) []rawHeader {
	t.Helper()
	var out []rawHeader
	var pending *rawHeader
	for off := 0; off+512 <= len(b); {
		blk := b[off : off+512]
		if bytes.Equal(blk, make([]byte, 512)) {
			break
		}
		size, err := strconv.ParseInt(field(blk[124:136]), 8, 64)
		if err != nil {
			t.Fatalf("block at %d: size %q: %v", off, blk[124:136], err)
		}
		data := b[off+512 : off+512+int(size)]
		off += 512 + int((size+511)/512*512)
		if blk[156] == 'x' {
			pending = &rawHeader{PAXName: field(blk[0:100]), PAXMode: field(blk[100:108]), PAXMtime: field(blk[136:148]), PAX: string(data)}
			continue
		}
		h := rawHeader{}
		if pending != nil {
			h = *pending
			pending = nil
		}
		h.Name, h.Mode, h.Uid, h.Gid = field(blk[0:100]), field(blk[100:108]), field(blk[108:116]), field(blk[116:124])
		h.Mtime, h.Type, h.Link = field(blk[136:148]), blk[156], field(blk[157:257])
		h.Magic, h.Prefix = string(blk[257:265]), field(blk[345:500])
		out = append(out, h)
	}
	return out
}

func field(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// paxRecords formats records as POSIX says ("%d %s=%s\n", the length
// counting itself), in the order given.
func paxRecords(kv ...string) string {
	var sb strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		rec := " " + kv[i] + "=" + kv[i+1] + "\n"
		n := len(rec) + 1
		for len(strconv.Itoa(n))+len(rec) != n {
			n++
		}
		fmt.Fprintf(&sb, "%d%s", n, rec)
	}
	return sb.String()
}

func octal(n int64, width int) string {
	return fmt.Sprintf("%0*o", width-1, n)
}

// ustar is the magic and version of every header Go writes here.
const ustar = "ustar\x0000"
