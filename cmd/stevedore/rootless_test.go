package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The rootless state directory is refused when someone else created it, or
// left it open, or made it a symlink; $XDG_RUNTIME_DIR is preferred.
func TestRootlessStateDir(t *testing.T) {
	uid := os.Getuid()
	other := uid + 4242
	tmp := t.TempDir()
	mk := func(name string, mode os.FileMode, owner int) string {
		p := filepath.Join(tmp, name)
		os.MkdirAll(p, 0o700)
		os.Chmod(p, mode)
		if owner != uid {
			if err := os.Chown(p, owner, owner); err != nil {
				t.Skipf("chown needs root: %v", err)
			}
		}
		return p
	}
	runtime := mk("run-user", 0o700, uid)
	got, err := rootlessStateDir(runtime, tmp, uid)
	if err != nil || got != filepath.Join(runtime, "stevedore", "sandbox") {
		t.Errorf("with XDG_RUNTIME_DIR: %q, %v", got, err)
	}
	fresh := t.TempDir()
	got, err = rootlessStateDir("", fresh, uid)
	if err != nil || got != filepath.Join(fresh, "stevedore-"+itoa(uid), "sandbox") {
		t.Errorf("fresh tmp: %q, %v", got, err)
	}
	if fi, _ := os.Stat(filepath.Dir(got)); fi == nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("created %s with mode %v, want 0700", filepath.Dir(got), fi.Mode())
	}

	for _, tc := range []struct {
		name  string
		setup func(dir string)
		want  string
	}{
		{"pre-created by another user", func(dir string) { os.Mkdir(dir, 0o700); os.Chown(dir, other, other) }, "owned by uid"},
		{"open to others", func(dir string) { os.Mkdir(dir, 0o700); os.Chmod(dir, 0o777) }, "mode 0777"},
		{"a symlink", func(dir string) { os.Symlink(t.TempDir(), dir) }, "symlink"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			tc.setup(filepath.Join(tmp, "stevedore-"+itoa(uid)))
			got, err := rootlessStateDir("", tmp, uid)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "STEVEDORE_STATE_DIR") {
				t.Errorf("rootlessStateDir = %q, %v; want an error saying %q and what to do", got, err, tc.want)
			}
		})
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
