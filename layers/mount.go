package layers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// MaxLowers is overlayfs's stack limit (OVL_MAX_STACK in the kernel): a
// stage deeper than this cannot be mounted, by us or by BuildKit.
const MaxLowers = 500

// overlayOptions are the options every mount gets besides the directories.
// BuildKit's overlay snapshotter passes index=off; redirect_dir and metacopy
// are pinned off so a host whose kernel defaults them on still produces
// upperdirs the differ understands (BuildKit's differ refuses redirects).
var overlayOptions = [][2]string{{"index", "off"}, {"redirect_dir", "off"}, {"metacopy", "off"}}

// overlaySpec is one overlay mount: lowers bottom first, as the API takes
// them; upper and work empty for a read-only view.
type overlaySpec struct {
	lowers      []string
	upper, work string
	target      string
	// legacyOnly pretends the kernel lacks fsconfig lowerdir+ (tests).
	legacyOnly bool
}

// Mount mounts an overlayfs at target with lowers (bottom layer first, the
// order images list layers), upper and work, so that the build step writes
// its changes into upper, which WriteUpperdir then turns into the layer.
// An empty lower stack is replaced by one empty directory, because overlay
// needs at least one lowerdir. The upper directory's own mode becomes the
// mode of "/": create it 0755 like BuildKit's snapshotter does.
//
// Long stacks are supported
// up to MaxLowers: the mount(2) option page (4095 bytes) is used when the
// options fit after making paths relative to their common parent, and the
// fsconfig "lowerdir+" API (Linux 6.8+) otherwise; an older kernel with
// options over the page limit gets an error saying so.
func Mount(lowers []string, upper, work, target string) (unmount func() error, err error) {
	if upper == "" || work == "" {
		return nil, fmt.Errorf("mount overlay %s: upper and work directories are required", target)
	}
	return mountOverlay(overlaySpec{lowers: lowers, upper: upper, work: work, target: target})
}

// MountReadOnly mounts the read-only merged view of lowers at target. It is
// the "lower view" WriteUpperdir compares an upperdir against: the same
// directories that were the lowers of the read-write mount. Overlay needs
// two lowers without an upper, so empty directories fill a short stack.
func MountReadOnly(lowers []string, target string) (unmount func() error, err error) {
	return mountOverlay(overlaySpec{lowers: lowers, target: target})
}

func mountOverlay(s overlaySpec) (unmount func() error, err error) {
	if err := s.absolute(); err != nil {
		return nil, fmt.Errorf("mount overlay %s: %w", s.target, err)
	}
	if err := s.validate(); err != nil {
		return nil, fmt.Errorf("mount overlay %s: %w", s.target, err)
	}
	need := 1
	if s.upper == "" {
		need = 2
	}
	var cleanup []string
	for len(s.lowers) < need {
		empty, err := os.MkdirTemp(filepath.Dir(s.target), ".empty-lower-")
		if err != nil {
			return nil, fmt.Errorf("mount overlay %s: empty lower: %w", s.target, err)
		}
		cleanup = append(cleanup, empty)
		s.lowers = append(s.lowers, empty)
	}
	removeEmpty := func() {
		for _, d := range cleanup {
			os.Remove(d)
		}
	}
	if err := s.mount(); err != nil {
		removeEmpty()
		return nil, fmt.Errorf("mount overlay %s (%d lowers): %w", s.target, len(s.lowers), err)
	}
	return func() error {
		if err := unmountBusy(s.target); err != nil {
			return fmt.Errorf("unmount overlay %s: %w", s.target, err)
		}
		removeEmpty()
		return nil
	}, nil
}

// unmountBusy unmounts target. A mount can be briefly busy while another
// build running in the same process forks a sandbox or closes its last
// file in it; it is retried, and finally detached lazily (the kernel
// frees it once unused), which is safe because the caller is done with it.
func unmountBusy(target string) error {
	var err error
	for i := 0; i < 10; i++ {
		if err = unix.Unmount(target, 0); !errors.Is(err, unix.EBUSY) {
			return err
		}
		time.Sleep(time.Duration(i+1) * 10 * time.Millisecond)
	}
	return unix.Unmount(target, unix.MNT_DETACH)
}

// absolute makes every path absolute: the mount may run in another
// working directory.
func (s *overlaySpec) absolute() error {
	s.lowers = slices.Clone(s.lowers)
	ptrs := []*string{&s.target}
	if s.upper != "" {
		ptrs = append(ptrs, &s.upper, &s.work)
	}
	for i := range s.lowers {
		ptrs = append(ptrs, &s.lowers[i])
	}
	for _, p := range ptrs {
		abs, err := filepath.Abs(*p)
		if err != nil {
			return err
		}
		*p = abs
	}
	return nil
}

func (s overlaySpec) validate() error {
	if len(s.lowers) > MaxLowers {
		return fmt.Errorf("%d lower layers exceed the overlayfs limit of %d", len(s.lowers), MaxLowers)
	}
	return nil
}

// escapeOption escapes what overlayfs would read as separators in a path
// given inside an option string.
func escapeOption(p string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`, ":", `\:`).Replace(p)
}

// mount tries mount(2) with compacted paths and falls back to fsconfig.
func (s overlaySpec) mount() error {
	dir, data := s.legacyData()
	if len(data) <= maxOptionBytes() {
		return mountAt(dir, s.target, s.flags(), data)
	}
	err := errNoLowerdirPlus
	if !s.legacyOnly {
		err = s.fsconfigMount()
	}
	if errors.Is(err, errNoLowerdirPlus) {
		return fmt.Errorf("options are %d bytes, over the %d-byte mount(2) limit, and this kernel lacks fsconfig lowerdir+ (Linux 6.8+): use shorter layer paths under one parent directory", len(data), maxOptionBytes())
	}
	return err
}

func (s overlaySpec) flags() uintptr {
	if s.upper == "" {
		return unix.MS_RDONLY
	}
	return 0
}

// maxOptionBytes is what mount(2) copies of the option string: one page,
// including the terminating NUL.
func maxOptionBytes() int { return os.Getpagesize() - 1 }
