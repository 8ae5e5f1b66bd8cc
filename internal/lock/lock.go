// Package lock holds stevedore's advisory locks (flock(2)): the tree lock
// that builds share and clean and unbundle take alone, and locked scratch
// directories, so that what a dead process left (kill -9, power loss) can
// be told from what a live one uses and swept, mounts included.
//
// An flock is released by the kernel when its holder dies, so a lock never
// outlives its process.
package lock

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Mode is a lock's kind.
type Mode int

const (
	// Shared may be held by many at once (builds of one tree).
	Shared Mode = iota
	// Exclusive excludes every other holder (clean, unbundle).
	Exclusive
)

func (m Mode) how() int {
	if m == Exclusive {
		return unix.LOCK_EX
	}
	return unix.LOCK_SH
}

// File is a held lock on a lock file.
type File struct {
	f    *os.File
	path string
}

// pollInterval is how often a waiting Acquire retries.
var pollInterval = 100 * time.Millisecond

// Acquire locks path (created 0644 when missing, its folder too) in mode.
// When another process holds a conflicting lock it calls waiting once (nil:
// nothing) and waits until the lock is free or ctx is done.
func Acquire(ctx context.Context, path string, mode Mode, waiting func()) (*File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	l := &File{f: f, path: path}
	if err := l.Relock(ctx, mode, waiting); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

// Relock changes the mode of a held lock (flock converts it; the change is
// not atomic: another process may get the lock in between).
func (l *File) Relock(ctx context.Context, mode Mode, waiting func()) error {
	for told := false; ; {
		err := unix.Flock(int(l.f.Fd()), mode.how()|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) {
			return fmt.Errorf("lock %s: %w", l.path, err)
		}
		if !told && waiting != nil {
			waiting()
		}
		told = true
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the lock %s: %w", l.path, ctx.Err())
		case <-time.After(pollInterval):
		}
	}
}

// File returns the locked file (for a lock that guards its own content).
func (l *File) File() *os.File { return l.f }

// Release unlocks.
func (l *File) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// Dir is a scratch directory locked by its creator for as long as it is in
// use; Sweep removes the ones whose creator is gone.
type Dir struct {
	Path string
	f    *os.File
}

// MkdirTemp creates a new directory in parent (os.MkdirTemp's pattern) and
// locks it.
func MkdirTemp(parent, pattern string) (*Dir, error) {
	for range 5 {
		path, err := os.MkdirTemp(parent, pattern)
		if err != nil {
			return nil, err
		}
		f, err := os.Open(path)
		if errors.Is(err, os.ErrNotExist) {
			continue // swept before we could lock it
		}
		if err != nil {
			return nil, err
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				continue // a sweeper holds it and will remove it
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		// A sweeper may have removed it between MkdirTemp and Flock.
		var st unix.Stat_t
		if err := unix.Fstat(int(f.Fd()), &st); err == nil && st.Nlink > 0 {
			return &Dir{Path: path, f: f}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("create a scratch directory in %s: removed by concurrent sweeps", parent)
}

// Remove unmounts whatever is still mounted under the directory, removes
// it and releases the lock.
func (d *Dir) Remove() error {
	if d == nil || d.f == nil {
		return nil
	}
	err := errors.Join(UnmountUnder(d.Path), os.RemoveAll(d.Path))
	d.f.Close()
	d.f = nil
	return err
}

// Sweep removes the entries of parent named with one of prefixes that are
// directories no live process holds locked (MkdirTemp): scratch space of
// builds that died. Mounts left under them are detached first.
func Sweep(parent string, prefixes ...string) error {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sweep %s: %w", parent, err)
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !hasPrefix(e.Name(), prefixes) {
			continue
		}
		path := filepath.Join(parent, e.Name())
		f, err := os.Open(path)
		if err != nil {
			continue // gone meanwhile
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			f.Close()
			continue // alive
		}
		if err := errors.Join(UnmountUnder(path), os.RemoveAll(path)); err != nil {
			errs = append(errs, fmt.Errorf("sweep %s: %w", path, err))
		}
		f.Close()
	}
	return errors.Join(errs...)
}

func hasPrefix(name string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// UnmountUnder detaches every mount of this mount namespace at or below
// dir, deepest first.
func UnmountUnder(dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	points, err := mountsUnder(abs)
	if err != nil {
		return err
	}
	var errs []error
	for _, p := range points {
		if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

// mountsUnder lists mount points at or below dir, deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescapeMountinfo(fields[4])
		if p == dir || strings.HasPrefix(p, dir+"/") {
			out = append(out, p)
		}
	}
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("list mounts: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, nil
}

// unescapeMountinfo undoes the octal escapes (\040 for a space) of
// /proc/self/mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
