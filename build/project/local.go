package project

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/assemble"
)

// WriteLocal writes the final stage's files into dir (type=local), as
// BuildKit's local exporter and its client's receiver write them: types,
// modes, symlink targets and hard links kept, every modification time set
// to the epoch, and owned by the user writing them (buildctl's receiver
// does not chown: the image's owners are not kept). dir is created when
// missing.
func WriteLocal(ctx context.Context, dir string, img *assemble.Built, epoch time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if len(img.Layers) == 0 {
		return nil
	}
	mnt, err := os.MkdirTemp(img.WorkDir(), "local-")
	if err != nil {
		return err
	}
	defer os.Remove(mnt)
	unmount, err := img.MountRootfs(ctx, mnt)
	if err != nil {
		return fmt.Errorf("mount result: %w", err)
	}
	err = copyTree(mnt, dir, epoch)
	if uerr := unmount(); err == nil {
		err = uerr
	}
	return err
}

// copyTree copies src's entries into dst, times set to epoch.
func copyTree(src, dst string, epoch time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(epoch.UnixNano()), unix.NsecToTimespec(epoch.UnixNano())}
	var dirs []string
	inodes := map[uint64]string{}
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == src {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			if err := os.Mkdir(to, 0o700); err != nil && !os.IsExist(err) {
				return err
			}
			dirs = append(dirs, to)
		case unix.S_IFLNK:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			if err := os.Symlink(target, to); err != nil {
				return err
			}
		case unix.S_IFREG:
			if first, ok := inodes[st.Ino]; ok && st.Nlink > 1 {
				return os.Link(first, to)
			}
			inodes[st.Ino] = to
			if err := copyFile(p, to); err != nil {
				return err
			}
		case unix.S_IFIFO, unix.S_IFCHR, unix.S_IFBLK:
			if err := unix.Mknod(to, st.Mode, int(st.Rdev)); err != nil {
				return err
			}
		default:
			return nil
		}
		if st.Mode&unix.S_IFMT != unix.S_IFLNK {
			if err := os.Chmod(to, fileMode(st)); err != nil {
				return err
			}
		}
		return unix.UtimesNanoAt(unix.AT_FDCWD, to, ts, unix.AT_SYMLINK_NOFOLLOW)
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := unix.UtimesNanoAt(unix.AT_FDCWD, dirs[i], ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return err
		}
	}
	return nil
}
