package layout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// lockedTemp creates an empty temp dir next to dir (hidden, so nothing
// that lists out/ mistakes it for a layout), flocked until unlock is
// called so that a later sweep can tell a live writer's temp dir from one
// a dead writer left behind.
func lockedTemp(dir string) (tmp string, unlock func(), err error) {
	tmp, unlock, err = atomicfile.TempDir(dir)
	if err != nil {
		return "", nil, err
	}
	if err := os.Chmod(tmp, dirMode); err != nil {
		unlock()
		return "", nil, err
	}
	return tmp, unlock, nil
}

// renameat2 is unix.Renameat2; tests replace it to exercise the fallback
// for filesystems without RENAME_EXCHANGE.
var renameat2 = unix.Renameat2

// swap puts the finished layout tmp in place at dir and returns where the
// replaced layout now is ("" if there was none). renameat2 makes each
// step atomic: RENAME_NOREPLACE when dir is absent, RENAME_EXCHANGE when it
// exists, retried when another writer changes dir in between.
func swap(tmp, dir string) (old string, err error) {
	for range 10 {
		err := renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_NOREPLACE)
		if err == nil {
			return "", atomicfile.SyncDir(filepath.Dir(dir))
		}
		if unsupported(err) {
			return swapFallback(tmp, dir)
		}
		if !errors.Is(err, unix.EEXIST) {
			return "", fmt.Errorf("rename %s to %s: %w", tmp, dir, err)
		}
		err = renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dir, unix.RENAME_EXCHANGE)
		if err == nil {
			return tmp, atomicfile.SyncDir(filepath.Dir(dir))
		}
		if unsupported(err) {
			return swapFallback(tmp, dir)
		}
		if !errors.Is(err, unix.ENOENT) {
			return "", fmt.Errorf("exchange %s with %s: %w", tmp, dir, err)
		}
	}
	return "", fmt.Errorf("replace %s: it keeps changing under concurrent writers", dir)
}

// unsupported reports a filesystem or kernel without renameat2 flags.
func unsupported(err error) bool {
	return errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP)
}

// swapFallback replaces dir with two plain renames where renameat2 flags
// are unsupported. A crash between them leaves no layout at dir (the old
// one survives as a hidden temp dir), but never a mix of two.
func swapFallback(tmp, dir string) (string, error) {
	var old string
	for i := range 10 {
		if old != "" {
			os.RemoveAll(old) // a layout another writer put in place meanwhile
		}
		old = fmt.Sprintf("%s.old%d", tmp, i)
		err := os.Rename(dir, old)
		if errors.Is(err, os.ErrNotExist) {
			old = ""
		} else if err != nil {
			return "", fmt.Errorf("move %s aside: %w", dir, err)
		}
		if err := os.Rename(tmp, dir); err == nil {
			return old, atomicfile.SyncDir(filepath.Dir(dir))
		}
	}
	return old, fmt.Errorf("replace %s: it keeps changing under concurrent writers", dir)
}

// sweepStale removes temp dirs of dir whose writer is gone (their flock is
// free). Errors are ignored: a leftover temp dir is only wasted space.
func sweepStale(dir string) { atomicfile.Sweep(dir) }
