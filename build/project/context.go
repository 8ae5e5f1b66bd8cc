package project

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/tonistiigi/fsutil"
	"golang.org/x/sys/unix"
)

// PrepareContext copies the files of src that BuildKit's client would send
// (fsutil's walk with excludes, BuildKit's own pattern rules) into dst,
// which must not exist, keeping what the transfer keeps: the type, mode
// bits (setuid, setgid and sticky included), modification times to the
// nanosecond, symlink targets and hard links between sent files. Owners
// are not kept: the executor gives context files to 0:0, as BuildKit does.
func PrepareContext(ctx context.Context, src, dst string, excludes []string) error {
	if err := os.Mkdir(dst, 0o755); err != nil {
		return err
	}
	type dirTime struct {
		path string
		st   *syscall.Stat_t
	}
	var dirs []dirTime
	inodes := map[[2]uint64]string{}
	err := fsutil.Walk(ctx, src, &fsutil.FilterOpt{ExcludePatterns: excludes}, func(rel string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			lst, err := os.Lstat(filepath.Join(src, rel))
			if err != nil {
				return err
			}
			st = lst.Sys().(*syscall.Stat_t)
		}
		from, to := filepath.Join(src, rel), filepath.Join(dst, rel)
		switch mode := st.Mode & unix.S_IFMT; mode {
		case unix.S_IFDIR:
			if err := os.Mkdir(to, 0o700); err != nil {
				return err
			}
			dirs = append(dirs, dirTime{to, st})
			return os.Chmod(to, fileMode(st))
		case unix.S_IFLNK:
			target, err := os.Readlink(from)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
			return setTimes(to, st)
		case unix.S_IFREG:
			id := [2]uint64{st.Dev, st.Ino}
			if first, ok := inodes[id]; ok && st.Nlink > 1 {
				return os.Link(first, to)
			}
			inodes[id] = to
			if err := copyFile(from, to); err != nil {
				return err
			}
			if err := os.Chmod(to, fileMode(st)); err != nil {
				return err
			}
			return setTimes(to, st)
		case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
			if err := unix.Mknod(to, st.Mode, int(st.Rdev)); err != nil {
				return err
			}
			if err := os.Chmod(to, fileMode(st)); err != nil {
				return err
			}
			return setTimes(to, st)
		default:
			return nil // sockets are not sent
		}
	})
	if err != nil {
		return fmt.Errorf("build context %s: %w", src, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := setTimes(dirs[i].path, dirs[i].st); err != nil {
			return err
		}
	}
	return nil
}

// fileMode is the permission bits of st with setuid, setgid and sticky.
func fileMode(st *syscall.Stat_t) os.FileMode {
	m := os.FileMode(st.Mode & 0o777)
	if st.Mode&unix.S_ISUID != 0 {
		m |= os.ModeSetuid
	}
	if st.Mode&unix.S_ISGID != 0 {
		m |= os.ModeSetgid
	}
	if st.Mode&unix.S_ISVTX != 0 {
		m |= os.ModeSticky
	}
	return m
}

// setTimes gives p (not following a symlink) the access and modification
// times of st.
func setTimes(p string, st *syscall.Stat_t) error {
	ts := []unix.Timespec{unix.NsecToTimespec(st.Atim.Nano()), unix.NsecToTimespec(st.Mtim.Nano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, p, ts, unix.AT_SYMLINK_NOFOLLOW)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
