package layers

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// errNoLowerdirPlus means the kernel cannot take lowers one by one.
var errNoLowerdirPlus = errors.New("fsconfig lowerdir+ not supported")

// fsconfigMount mounts with the new mount API, passing each lower as its
// own "lowerdir+" value, which has no limit on the total length.
func (s overlaySpec) fsconfigMount() (err error) {
	fd, err := unix.Fsopen("overlay", unix.FSOPEN_CLOEXEC)
	if err != nil {
		if errors.Is(err, unix.ENOSYS) {
			return errNoLowerdirPlus
		}
		return fmt.Errorf("fsopen overlay: %w", err)
	}
	defer unix.Close(fd)
	top := slices.Clone(s.lowers)
	slices.Reverse(top)
	for _, l := range top {
		if err := unix.FsconfigSetString(fd, "lowerdir+", l); err != nil {
			if errors.Is(err, unix.EINVAL) {
				return errNoLowerdirPlus
			}
			return fsconfigErr(fd, "lowerdir+="+l, err)
		}
	}
	set := [][2]string{}
	if s.upper != "" {
		set = append(set, [2]string{"upperdir", s.upper}, [2]string{"workdir", s.work})
	}
	for _, kv := range append(set, mountOptions()...) {
		if err := unix.FsconfigSetString(fd, kv[0], kv[1]); err != nil {
			return fsconfigErr(fd, kv[0]+"="+kv[1], err)
		}
	}
	if userXattr() {
		if err := unix.FsconfigSetFlag(fd, "userxattr"); err != nil {
			return fsconfigErr(fd, "userxattr", err)
		}
	}
	if err := unix.FsconfigCreate(fd); err != nil {
		return fsconfigErr(fd, "create", err)
	}
	attr := 0
	if s.upper == "" {
		attr = unix.MOUNT_ATTR_RDONLY
	}
	mfd, err := unix.Fsmount(fd, unix.FSMOUNT_CLOEXEC, attr)
	if err != nil {
		return fsconfigErr(fd, "fsmount", err)
	}
	defer unix.Close(mfd)
	if err := unix.MoveMount(mfd, "", unix.AT_FDCWD, s.target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("move_mount to %s: %w", s.target, err)
	}
	return nil
}

// fsconfigErr adds the kernel's own message, which the fs context keeps
// readable on its descriptor ("e overlayfs: ...").
func fsconfigErr(fd int, step string, err error) error {
	buf := make([]byte, 1024)
	var msgs []string
	for {
		n, rerr := unix.Read(fd, buf)
		if rerr != nil || n <= 0 {
			break
		}
		msgs = append(msgs, strings.TrimSpace(string(buf[:n])))
	}
	if len(msgs) == 0 {
		return fmt.Errorf("fsconfig %s: %w", step, err)
	}
	return fmt.Errorf("fsconfig %s: %w (%s)", step, err, strings.Join(msgs, "; "))
}
