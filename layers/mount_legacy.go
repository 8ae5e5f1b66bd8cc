package layers

import (
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// legacyData returns the mount(2) option string with every path made
// relative to the lowers' deepest common parent dir (as containerd does), so
// a stack of short layer names fits the one-page limit whatever the prefix.
// dir is "" when the paths are left absolute.
func (s overlaySpec) legacyData() (dir, data string) {
	dir = commonParent(s.lowers)
	rel := func(p string) string {
		if dir == "" {
			return escapeOption(p)
		}
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			return escapeOption(r)
		}
		return escapeOption(p)
	}
	top := slices.Clone(s.lowers)
	slices.Reverse(top) // overlay lists the topmost lower first
	for i := range top {
		top[i] = rel(top[i])
	}
	opts := []string{"lowerdir=" + strings.Join(top, ":")}
	if s.upper != "" {
		opts = append(opts, "upperdir="+rel(s.upper), "workdir="+rel(s.work))
	}
	for _, o := range mountOptions() {
		opts = append(opts, o[0]+"="+o[1])
	}
	if userXattr() {
		opts = append(opts, "userxattr")
	}
	return dir, strings.Join(opts, ",")
}

// commonParent returns the deepest directory containing every path, or ""
// when that is "/" (nothing to gain).
func commonParent(paths []string) string {
	if len(paths) == 0 {
		return ""
	}
	common := filepath.Dir(paths[0])
	for _, p := range paths[1:] {
		for common != "/" && !strings.HasPrefix(p, common+"/") {
			common = filepath.Dir(common)
		}
	}
	if common == "/" || common == "." {
		return ""
	}
	return common
}

// mountAt calls mount(2) with dir as the working directory. The chdir runs
// on a locked OS thread that first unshares its filesystem attributes, so
// the rest of the process keeps its working directory; the thread is never
// unlocked, and Go discards it when the goroutine ends.
func mountAt(dir, target string, flags uintptr, data string) error {
	if dir == "" {
		return mountErr(unix.Mount("overlay", target, "overlay", flags, data), data)
	}
	ch := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_FS); err != nil {
			ch <- fmt.Errorf("unshare filesystem attributes: %w", err)
			return
		}
		if err := unix.Chdir(dir); err != nil {
			ch <- fmt.Errorf("chdir %s: %w", dir, err)
			return
		}
		ch <- mountErr(unix.Mount("overlay", target, "overlay", flags, data), data)
	}()
	return <-ch
}

func mountErr(err error, data string) error {
	if err == nil {
		return nil
	}
	const show = 300
	if len(data) > show {
		data = data[:show] + "..."
	}
	return fmt.Errorf("mount(2) with %q: %w", data, err)
}
