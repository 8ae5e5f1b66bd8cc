package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	iofs "io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"

	"github.com/containerd/continuity/fs"
	copy "github.com/tonistiigi/fsutil/copy"
)

// imageChain is the cache chain of a stage that starts from an image: its
// layers' diffIDs.
func imageChain(ls []*Layer) string {
	ids := []string{"image"}
	for _, l := range ls {
		ids = append(ids, l.Blob.DiffID.String())
	}
	return key(ids...)
}

// hashSources digests what COPY/ADD would read from root for srcs:
// every matched path's tree (names, modes, owners, sizes, times, link
// targets and contents), resolved as the copy resolves them.
func hashSources(root string, srcs []string) (string, error) {
	h := sha256.New()
	for _, src := range srcs {
		p := cleanPath(path.Join("/", path.Clean(filepath.ToSlash(src))))
		matches, err := copy.ResolveWildcards(root, p, true)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "src\x00%s\x00%d\x00", p, len(matches))
		for _, m := range matches {
			full, err := continuityRoot(root, m)
			if err != nil {
				return "", err
			}
			if err := HashTree(h, m, full, true, nil); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func continuityRoot(root, p string) (string, error) { return fs.RootPath(root, p) }

// HashTree writes to h every entry under p, in a fixed order: relative
// name, mode, owner, size, modification time, link target and content. A
// missing p hashes as missing. withRoot includes p's own metadata (a
// COPY source); without it only what is below p counts (a context whose
// root is a fresh directory each build). A regular file that is one of
// known's files (same inode: the build's own links of sources it has just
// verified) is hashed by its known SHA-256 instead of being read again.
func HashTree(h hash.Hash, label, p string, withRoot bool, known Known) error {
	var paths []string
	err := filepath.WalkDir(p, func(q string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		paths = append(paths, q)
		return nil
	})
	if os.IsNotExist(err) {
		fmt.Fprintf(h, "%s\x00missing\x00", label)
		return nil
	}
	if err != nil {
		return err
	}
	sort.Strings(paths)
	fmt.Fprintf(h, "%s\x00", label)
	for _, q := range paths {
		if q == p && !withRoot {
			continue
		}
		rel, _ := filepath.Rel(p, q)
		if err := hashEntry(h, rel, q, known); err != nil {
			return err
		}
	}
	return nil
}

// HashLinks writes to h what HashTree(h, label, dir, false, known) would
// for a directory dir holding exactly a hard link named names[i] to each
// paths[i] (names distinct plain file names), without making it: a link
// has its file's inode, so its entry is the file's.
func HashLinks(h hash.Hash, label string, names, paths []string, known Known) error {
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return names[order[a]] < names[order[b]] })
	fmt.Fprintf(h, "%s\x00", label)
	for _, i := range order {
		if err := hashEntry(h, names[i], paths[i], known); err != nil {
			return err
		}
	}
	return nil
}

// Known maps files, by inode, to their verified SHA-256 (hex).
type Known map[FileID]string

// FileID names a file by device and inode, so hard links share it.
type FileID struct{ Dev, Ino uint64 }

// KnownFiles stats paths and maps each to its SHA-256 (sums[i] for
// paths[i]); the caller has verified those sums.
func KnownFiles(paths, sums []string) (Known, error) {
	k := Known{}
	for i, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			k[FileID{uint64(st.Dev), st.Ino}] = sums[i]
		}
	}
	return k, nil
}

// hashEntry writes the entry of the file at p, named rel.
func hashEntry(h hash.Hash, rel, p string, known Known) error {
	fi, err := os.Lstat(p)
	if err != nil {
		return err
	}
	var uid, gid uint32
	var mtime int64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		uid, gid, mtime = st.Uid, st.Gid, st.Mtim.Nano()
	}
	fmt.Fprintf(h, "%s\x00%o\x00%d:%d\x00%d\x00%d\x00", rel, fi.Mode(), uid, gid, fi.Size(), mtime)
	switch {
	case fi.Mode()&iofs.ModeSymlink != 0:
		t, err := os.Readlink(p)
		if err != nil {
			return err
		}
		io.WriteString(h, t)
	case fi.Mode().IsRegular() && knownSum(known, fi) != "":
		io.WriteString(h, "sha256:"+knownSum(known, fi))
	case fi.Mode().IsRegular():
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		buf := copyBufs.Get().(*[]byte)
		// Only a Reader: *os.File's WriteTo would allocate a buffer per file.
		_, err = io.CopyBuffer(h, struct{ io.Reader }{f}, *buf)
		copyBufs.Put(buf)
		f.Close()
		if err != nil {
			return err
		}
	}
	io.WriteString(h, "\x00")
	return nil
}

// copyBufs holds hashEntry's read buffers: a context is mostly small
// files, and a buffer for each made most of a no-op build's garbage.
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// joinFields serialises a list for a key.
func joinFields(xs []string) string { return strings.Join(xs, "\x00") }

// knownSum is fi's verified SHA-256 in known, or "".
func knownSum(known Known, fi os.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || known == nil {
		return ""
	}
	return known[FileID{uint64(st.Dev), st.Ino}]
}
