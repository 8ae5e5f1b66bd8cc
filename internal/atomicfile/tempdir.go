package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// TempDir creates an empty hidden temp dir next to path (".<name>.tmp-*")
// and holds an flock on it until unlock is called, so that Sweep
// can tell a live writer's temp dir from one a killed writer left behind.
func TempDir(path string) (tmp string, unlock func(), err error) {
	for range 5 {
		tmp, err = os.MkdirTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
		if err != nil {
			return "", nil, err
		}
		f, err := os.Open(tmp)
		if errors.Is(err, os.ErrNotExist) {
			continue // swept before we could lock it
		}
		if err != nil {
			return "", nil, err
		}
		syscall.Flock(int(f.Fd()), syscall.LOCK_EX) // best effort, as in CreateTemp
		// A sweeper may have removed it between MkdirTemp and Flock.
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err == nil && st.Nlink > 0 {
			return tmp, func() { f.Close() }, nil
		}
		f.Close()
	}
	return "", nil, fmt.Errorf("create temp dir next to %s: removed by concurrent writers", path)
}

// Sweep removes path's temp files and dirs (".<name>.tmp-*") whose flock
// is free: what writers killed before their rename left behind. Errors
// are ignored: a leftover is only wasted space.
func Sweep(path string) {
	names, _ := filepath.Glob(tempPattern(path))
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(name)
		}
		f.Close()
	}
}
