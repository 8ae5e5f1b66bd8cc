package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
)

// stubNames are the mount destinations whose stubs BuildKit removes after a
// RUN (executor.MountStubsCleaner). /dev, /proc and /sys are not in the list:
// the mount points runc creates for them stay in the rootfs, and so in the
// layer, exactly as under BuildKit.
var stubNames = []string{"/etc/resolv.conf", "/etc/hosts"}

// mountStubs lists the paths that did not exist in the rootfs before a run
// and that the runtime will create as mount points. It is saved in the run's
// state directory so that a sweep can finish the job after a crash.
type mountStubs struct {
	Rootfs string   `json:"rootfs"`
	Paths  []string `json:"paths"`
}

// findMountStubs is the first half of BuildKit's MountStubsCleaner with
// recursive=true (what the Dockerfile frontend asks for): for each name, the
// path and each missing parent up to the rootfs.
func findMountStubs(rootfs string, extra []Mount) mountStubs {
	st := mountStubs{Rootfs: rootfs}
	names := append([]string(nil), stubNames...)
	for _, m := range extra {
		names = append(names, m.Dest)
	}
	for _, name := range names {
		p, err := securejoin.SecureJoin(rootfs, name)
		if err != nil {
			continue
		}
		for {
			_, err := os.Lstat(p)
			if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
				break
			}
			st.Paths = append(st.Paths, p)
			next := filepath.Dir(p)
			if next == p || next == rootfs {
				break
			}
			p = next
		}
	}
	return st
}

// remove is the second half of MountStubsCleaner: remove each stub that is
// still an empty directory or an empty file, and restore its parent's
// timestamps for reproducible layers. Errors are ignored, as in BuildKit: a
// stub the process replaced with content is the process's business.
func (st mountStubs) remove() {
	for _, p := range st.Paths {
		p, err := securejoin.SecureJoin(st.Rootfs, strings.TrimPrefix(p, st.Rootfs))
		if err != nil {
			continue
		}
		fi, err := os.Lstat(p)
		if err != nil || !isEmptyStub(p, fi) {
			continue
		}
		parent := filepath.Dir(p)
		if real, err := securejoin.SecureJoin(st.Rootfs, strings.TrimPrefix(parent, st.Rootfs)); err != nil || real != parent {
			continue
		}
		pfi, err := os.Stat(parent)
		if err != nil {
			continue
		}
		mtime := pfi.ModTime()
		atime := mtime
		if sys, ok := pfi.Sys().(*syscall.Stat_t); ok {
			atime = time.Unix(sys.Atim.Sec, sys.Atim.Nsec)
		}
		_ = os.Remove(p)
		_ = os.Chtimes(parent, atime, mtime)
	}
}

func isEmptyStub(p string, fi os.FileInfo) bool {
	if fi.IsDir() {
		entries, err := os.ReadDir(p)
		return err == nil && len(entries) == 0
	}
	return fi.Size() == 0
}
