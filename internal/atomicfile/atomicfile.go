// Package atomicfile writes files so that a crash or Ctrl-C leaves either
// the old file or the complete new one, never a partial file under the
// final name: a temp file in the same directory, fsynced, renamed, and the
// directory fsynced.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Write writes path (mode 0644) through fill. On error the temp file is
// removed and path is untouched. The temp file is flocked while it is
// written, and Write first removes the temp files of path whose lock is
// free: what a writer killed before its rename left behind.
func Write(path string, fill func(w io.Writer) error) error {
	return write(path, 0o644, fill)
}

// WriteFile writes data to path with mode perm as Write does, creating
// path's directory first when it is missing.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

func write(path string, perm os.FileMode, fill func(w io.Writer) error) (err error) {
	Sweep(path)
	f, err := CreateTemp(path)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	// Renamed while open: closing drops the flock that keeps Sweep off it.
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// tempPattern is the glob of path's temp files.
func tempPattern(path string) string {
	return filepath.Join(filepath.Dir(path), globEscape("."+filepath.Base(path)+".tmp-")+"*")
}

// CreateTemp creates a temp file next to path (".<name>.tmp-*") and takes
// its flock, so that Sweep leaves it alone until it is closed.
func CreateTemp(path string) (*os.File, error) {
	for range 5 {
		f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
		if err != nil {
			return nil, err
		}
		// Best effort: where flock is unsupported the file is written
		// unlocked, and Sweep (which needs the lock) removes nothing there.
		syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		// A sweeper may have removed it between CreateTemp and Flock.
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err == nil && st.Nlink > 0 {
			return f, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("create temp file next to %s: removed by concurrent writers", path)
}

// globEscape quotes the glob metacharacters of a literal file name.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SyncDir fsyncs a directory, making renames in it durable. A file system
// that cannot fsync a directory (EINVAL) is not an error. It is the one
// syncDir of the module; recipes/fetch keeps its own copy because it is
// standard-library only on purpose (see docs/architecture.md).
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
