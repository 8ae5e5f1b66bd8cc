package layers

// The walk below is a port of BuildKit v0.34.2 util/overlay/overlay_linux.go
// (Changes, checkDelete, checkOpaque, checkRedirect; Apache-2.0, Copyright
// The BuildKit Authors). It is copied rather than imported because that
// package pulls containerd's mount package, and with it net and protobuf,
// into a package that must not touch the network. Keep it in step with
// BuildKit: every branch decides which entries a layer has.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/containerd/continuity/devices"
	"github.com/containerd/continuity/fs"
	"github.com/containerd/continuity/sysx"
	"golang.org/x/sys/unix"
)

// upperChanges walks upperdir and reports to changeFn what a layer must
// hold relative to base (the lower view). upperView is a whiteout-free view
// of upperdir, used to expand opaque directories into individual deletes.
func upperChanges(ctx context.Context, changeFn fs.ChangeFunc, upperdir, upperView, base string) error {
	return filepath.Walk(upperdir, func(path string, f os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if err := context.Cause(ctx); err != nil {
			return err
		}
		rel, err := filepath.Rel(upperdir, path)
		if err != nil {
			return err
		}
		path = filepath.Join(string(os.PathSeparator), rel)
		if path == string(os.PathSeparator) {
			return nil
		}
		if redirect, err := checkRedirect(upperdir, path, f); err != nil {
			return err
		} else if redirect {
			return fmt.Errorf("diff %s: overlay redirect_dir is set, which the overlay differ does not support", path)
		}
		if err := reportChange(changeFn, path, f, upperView, base); err != nil {
			return err
		}
		return expandOpaque(ctx, changeFn, path, f, upperdir, upperView, base)
	})
}

// reportChange classifies one upperdir entry as delete, add or modify and
// reports it unless it equals the lower entry (sameDirent).
func reportChange(changeFn fs.ChangeFunc, path string, f os.FileInfo, upperView, base string) error {
	isDelete, skip, err := checkDelete(path, base, f)
	if err != nil || skip {
		return err
	}
	if isDelete {
		return changeFn(fs.ChangeKindDelete, path, f, nil)
	}
	baseF, err := os.Lstat(filepath.Join(base, path))
	switch {
	case err == nil:
		same, err := sameDirent(baseF, f, filepath.Join(base, path), filepath.Join(upperView, path))
		if err != nil || same {
			return err
		}
		return changeFn(fs.ChangeKindModify, path, f, nil)
	case os.IsNotExist(err) || errors.Is(err, unix.ENOTDIR):
		return changeFn(fs.ChangeKindAdd, path, f, nil)
	default:
		return fmt.Errorf("stat lower %s: %w", path, err)
	}
}

// expandOpaque turns an opaque directory into a walking diff of the lower
// and upper directory, so each removed child becomes its own whiteout and
// no ".wh..wh..opq" is ever written; it then skips the directory's walk.
func expandOpaque(ctx context.Context, changeFn fs.ChangeFunc, path string, f os.FileInfo, upperdir, upperView, base string) error {
	isOpaque, err := checkOpaque(upperdir, path, base, f)
	if err != nil || !isOpaque {
		return err
	}
	err = fs.Changes(ctx, filepath.Join(base, path), filepath.Join(upperView, path),
		func(k fs.ChangeKind, p string, f os.FileInfo, err error) error {
			return changeFn(k, filepath.Join(path, p), f, err)
		})
	if err != nil {
		return err
	}
	return filepath.SkipDir
}

// checkDelete reports whether f is a whiteout (char device 0/0) for a path
// that exists below; a whiteout of nothing is skipped.
func checkDelete(path, base string, f os.FileInfo) (isDelete, skip bool, _ error) {
	if f.Mode()&os.ModeCharDevice == 0 {
		return false, false, nil
	}
	if _, ok := f.Sys().(*syscall.Stat_t); !ok {
		return false, false, nil
	}
	maj, min, err := devices.DeviceInfo(f)
	if err != nil {
		return false, false, fmt.Errorf("device info %s: %w", path, err)
	}
	if maj != 0 || min != 0 {
		return false, false, nil
	}
	if _, err := os.Lstat(filepath.Join(base, path)); err != nil {
		if !os.IsNotExist(err) {
			return false, false, fmt.Errorf("stat lower %s: %w", path, err)
		}
		return false, true, nil
	}
	return true, false, nil
}

// checkOpaque reports whether f is an opaque directory hiding a lower one.
func checkOpaque(upperdir, path, base string, f os.FileInfo) (bool, error) {
	if !f.IsDir() {
		return false, nil
	}
	for _, key := range []string{"trusted.overlay.opaque", "user.overlay.opaque"} {
		opaque, err := sysx.LGetxattr(filepath.Join(upperdir, path), key)
		if err != nil && !errors.Is(err, unix.ENODATA) {
			return false, fmt.Errorf("read %s of %s: %w", key, path, err)
		}
		if len(opaque) != 1 || opaque[0] != 'y' {
			continue
		}
		if _, err := os.Lstat(filepath.Join(base, path)); err != nil {
			if !os.IsNotExist(err) {
				return false, fmt.Errorf("stat lower %s: %w", path, err)
			}
			return false, nil
		}
		return true, nil
	}
	return false, nil
}

// checkRedirect reports whether a directory carries an overlay redirect.
func checkRedirect(upperdir, path string, f os.FileInfo) (bool, error) {
	if !f.IsDir() {
		return false, nil
	}
	redirect, err := sysx.LGetxattr(filepath.Join(upperdir, path), "trusted.overlay.redirect")
	if err != nil && !errors.Is(err, unix.ENODATA) {
		return false, fmt.Errorf("read redirect of %s: %w", path, err)
	}
	return len(redirect) > 0, nil
}
