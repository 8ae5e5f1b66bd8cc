package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
	"github.com/stevedore-build/stevedore/internal/verified"
)

// treeDigest hashes everything of the directory tree at root that a later
// step can see through an overlay mount: each entry's path, type and mode
// bits, owner, size, modification time, device number, symlink target,
// extended attributes (overlay whiteouts and opaque markers included) and
// the content of regular files, in lexical order. A cache entry records
// it when published and is checked against it before it is used, so that
// a torn or altered layer directory is found and rebuilt instead of
// feeding later RUNs.
func treeDigest(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return err
		}
		fmt.Fprintf(h, "%q %o %d:%d %d %d.%d %d", rel, st.Mode, st.Uid, st.Gid, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Rdev)
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFLNK:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, " -> %q", target)
		case syscall.S_IFREG:
			if err := hashFile(h, path); err != nil {
				return err
			}
		}
		if err := hashXattrs(h, path); err != nil {
			return err
		}
		h.Write([]byte{'\n'})
		return nil
	})
	if err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// verifiedName is the file of a layer cache entry that records the state
// (entryStamps) its f/ and blob had when they were last verified in full
// against meta.json: a later process whose entry has the same state
// trusts that verification instead of reading the layer again (a COPY of
// a whole toolchain is hundreds of megabytes). Any change to a file,
// directory, link or extended attribute under f/, or to the blob, moves
// some stamp (a ctime at least; see internal/verified for the one limit),
// and the entry is verified in full again. It is written atomically, in a
// new entry before the syncfs that publishes it; a missing, torn or stale
// one only means verifying in full.
const verifiedName = "verified.json"

type verifiedEntry struct {
	Key    string `json:"key"`
	Stamps string `json:"stamps"`
}

// entryStamps digests the stamp (internal/verified: device, inode, size,
// mode, modification and change times) of every entry under dir/f, by
// path in walk order, and of dir/blob when m describes one.
func entryStamps(dir string, m cacheMeta) (string, error) {
	h := sha256.New()
	root := filepath.Join(dir, "f")
	stamp := func(rel, path string) error {
		fi, err := os.Lstat(path)
		if err != nil {
			return err
		}
		st, ok := verified.Of(fi)
		if !ok {
			return fmt.Errorf("%s: no stat data", path)
		}
		fmt.Fprintf(h, "%q %s\n", rel, st)
		return nil
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		return stamp(rel, path)
	})
	if err != nil {
		return "", err
	}
	if m.Digest != "" {
		if err := stamp("\x00blob", filepath.Join(dir, "blob")); err != nil {
			return "", err
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// trustedEntry reports whether entry k in dir records a verified state
// that is still its state.
func trustedEntry(k, dir string, m cacheMeta) bool {
	data, err := os.ReadFile(filepath.Join(dir, verifiedName))
	if err != nil {
		return false
	}
	var v verifiedEntry
	if json.Unmarshal(data, &v) != nil || v.Key != k || v.Stamps == "" {
		return false
	}
	now, err := entryStamps(dir, m)
	return err == nil && now == v.Stamps
}

// recordEntry records entry k's state after a full verification, when it
// is the state before (nothing changed while it was read). Best effort: a
// record that cannot be written means verifying in full next time.
func recordEntry(k, dir string, m cacheMeta, before string) {
	after, err := entryStamps(dir, m)
	if err != nil || before == "" || after != before {
		return
	}
	data, _ := json.Marshal(verifiedEntry{Key: k, Stamps: after})
	atomicfile.WriteFile(filepath.Join(dir, verifiedName), data, 0o644)
}

func hashFile(h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	c := sha256.New()
	if _, err := io.Copy(c, f); err != nil {
		return err
	}
	fmt.Fprintf(h, " %x", c.Sum(nil))
	return nil
}

func hashXattrs(h hash.Hash, path string) error {
	names, err := listXattrs(path)
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, n := range names {
		v, err := getXattr(path, n)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, " %q=%q", n, v)
	}
	return nil
}

func listXattrs(path string) ([]string, error) {
	for size := 256; ; size *= 4 {
		buf := make([]byte, size)
		n, err := unix.Llistxattr(path, buf)
		if err == unix.ERANGE {
			continue
		}
		if err == unix.ENOTSUP {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list xattrs of %s: %w", path, err)
		}
		var out []string
		for _, s := range strings.Split(string(buf[:n]), "\x00") {
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
}

func getXattr(path, name string) ([]byte, error) {
	for size := 256; ; size *= 4 {
		buf := make([]byte, size)
		n, err := unix.Lgetxattr(path, name, buf)
		if err == unix.ERANGE {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read xattr %s of %s: %w", name, path, err)
		}
		return buf[:n], nil
	}
}

// fileDigest is the sha256 of a file, "sha256:<hex>".
func fileDigest(path string) (string, error) {
	h := sha256.New()
	if err := hashFileRaw(h, path); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func hashFileRaw(h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(h, f)
	return err
}

// syncFS flushes the filesystem holding dir (syncfs(2)): one call makes
// every file and directory of a new cache entry durable before the rename
// that publishes it.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("sync filesystem of %s: %w", dir, err)
	}
	return nil
}
