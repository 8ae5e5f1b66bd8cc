// Package verified lets a process trust what an earlier one verified about
// a file's content: a Stamp is the file's identity and change marks (device,
// inode, size, mode, modification and status-change times, in nanoseconds),
// taken around a full verification and recorded next to the result. A later
// process whose lstat of the file gives the same Stamp trusts the recorded
// verification instead of reading the file again; any difference (a
// rewrite, a torn write, a replaced file, a chmod, a touch, even a write
// whose mtime was set back, which moves ctime) means verifying in full.
//
// The limit is git's "racy clean" one: on a filesystem whose timestamps
// are coarse (a kernel before 6.13, or one without multigrain timestamps),
// a same-size rewrite by another process within the same clock tick as
// the stamp was taken goes unseen. Stamps are taken right after stevedore's
// own verification, of files it holds the target's lock for.
package verified

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// Stamp is what lstat says about a file that changes whenever its content
// could have.
type Stamp struct {
	Dev, Ino     uint64
	Size         int64
	Mode         uint32
	Mtime, Ctime int64
}

// Of is fi's stamp (fi from os.Lstat or os.Stat).
func Of(fi fs.FileInfo) (Stamp, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return Stamp{}, false
	}
	return Stamp{
		Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size, Mode: st.Mode,
		Mtime: st.Mtim.Nano(), Ctime: st.Ctim.Nano(),
	}, true
}

// Lstat is the stamp of path itself (a symlink is not followed).
func Lstat(path string) (Stamp, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return Stamp{}, err
	}
	s, ok := Of(fi)
	if !ok {
		return Stamp{}, fmt.Errorf("%s: no stat data", path)
	}
	return s, nil
}

// SameContent reports whether b may be a's file with a's content, only its
// links having changed (a hard link made or removed moves ctime alone):
// the same inode, size, mode and modification time.
func (a Stamp) SameContent(b Stamp) bool {
	a.Ctime, b.Ctime = 0, 0
	return a == b
}

// String is the stamp's text form in a record: six decimal fields.
func (a Stamp) String() string {
	return fmt.Sprintf("%d %d %d %d %d %d", a.Dev, a.Ino, a.Size, a.Mode, a.Mtime, a.Ctime)
}

// Parse reads String's form.
func Parse(fields []string) (Stamp, error) {
	if len(fields) != 6 {
		return Stamp{}, errors.New("stamp: want 6 fields")
	}
	var u [2]uint64
	for i := range u {
		v, err := strconv.ParseUint(fields[i], 10, 64)
		if err != nil {
			return Stamp{}, fmt.Errorf("stamp: %w", err)
		}
		u[i] = v
	}
	var n [4]int64
	for i := range n {
		v, err := strconv.ParseInt(fields[2+i], 10, 64)
		if err != nil {
			return Stamp{}, fmt.Errorf("stamp: %w", err)
		}
		n[i] = v
	}
	if n[1] < 0 || n[1] > 1<<32-1 {
		return Stamp{}, errors.New("stamp: mode out of range")
	}
	return Stamp{Dev: u[0], Ino: u[1], Size: n[0], Mode: uint32(n[1]), Mtime: n[2], Ctime: n[3]}, nil
}

// Tree is the stamps of every regular file under a directory, by slash
// path relative to it.
type Tree map[string]Stamp

// StampTree stamps every regular file under dir; anything else but a
// directory is an error (a layout holds nothing else).
func StampTree(dir string) (Tree, error) {
	t := Tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", p)
		}
		s, err := Lstat(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		t[filepath.ToSlash(rel)] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// Unchanged reports whether every file t records under dir still has its
// stamp (files added since do not count: only recorded ones were read).
func (t Tree) Unchanged(dir string) bool {
	if len(t) == 0 {
		return false
	}
	for rel, want := range t {
		got, err := Lstat(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil || got != want {
			return false
		}
	}
	return true
}

// Equal reports whether t and u record the same files with the same stamps.
func (t Tree) Equal(u Tree) bool {
	if len(t) != len(u) {
		return false
	}
	for k, v := range t {
		if w, ok := u[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// Sorted is t's paths in order.
func (t Tree) Sorted() []string {
	keys := make([]string, 0, len(t))
	for k := range t {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValidName reports whether a recorded path can be written on one line of
// a record.
func ValidName(p string) bool { return p != "" && !strings.ContainsAny(p, "\n\r") }
