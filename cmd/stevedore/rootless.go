package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/sandbox/userns"
)

// rootless reports whether this process must re-execute itself in a user
// namespace to build (not root, and not already re-executed).
func rootless() bool { return os.Geteuid() != 0 }

// reexecRootless runs this very command again as root of a new user
// namespace mapping the caller and its subordinate ranges, and ends with
// the child's exit status.
func reexecRootless(cmd *cobra.Command) error {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	uid, gid := os.Getuid(), os.Getgid()
	sub, err := userns.Lookup("/etc/subuid", name, uid)
	if err != nil {
		return err
	}
	subg, err := userns.Lookup("/etc/subgid", name, uid)
	if err != nil {
		return err
	}
	env := os.Environ()
	if os.Getenv("STEVEDORE_STATE_DIR") == "" {
		// The default under /run belongs to the real root.
		dir, err := rootlessStateDir(os.Getenv("XDG_RUNTIME_DIR"), os.TempDir(), uid)
		if err != nil {
			return err
		}
		env = append(env, "STEVEDORE_STATE_DIR="+dir)
	}
	// The child has its own mount namespace too (userns.Run).
	env = append(env, privateMountsEnv+"=userns")
	code, err := userns.Run("/proc/self/exe", os.Args[1:], env, userns.Mapping{
		UID: uid, GID: gid, SubUID: sub, SubGID: subg,
		NewUIDMap: "/usr/bin/newuidmap", NewGIDMap: "/usr/bin/newgidmap",
	})
	if err != nil {
		return err
	}
	if code != 0 {
		return silentExit(code)
	}
	return nil
}

// rootlessStateDir returns the sandbox state directory of a rootless
// build: <runtime>/stevedore/sandbox when the session has a runtime
// directory ($XDG_RUNTIME_DIR, private to the user), else
// <tmp>/stevedore-<uid>/sandbox. Whichever it is, the folder stevedore
// owns there must be a real directory (not a symlink) owned by uid and
// closed to others: in a shared /tmp another user could create it first
// and then read or replace the sandbox's state.
func rootlessStateDir(runtimeDir, tmp string, uid int) (string, error) {
	base := filepath.Join(tmp, fmt.Sprintf("stevedore-%d", uid))
	if runtimeDir != "" && filepath.IsAbs(runtimeDir) {
		if err := checkPrivateDir(runtimeDir, uid, false); err == nil {
			base = filepath.Join(runtimeDir, "stevedore")
		}
	}
	if err := os.Mkdir(base, 0o700); err != nil && !os.IsExist(err) {
		return "", fmt.Errorf("create the rootless state directory %s: %w (set STEVEDORE_STATE_DIR or --state-dir to a private directory)", base, err)
	}
	if err := checkPrivateDir(base, uid, true); err != nil {
		return "", fmt.Errorf("rootless state directory: %w: remove it (another user may have created it) or set STEVEDORE_STATE_DIR or --state-dir to a private directory", err)
	}
	return filepath.Join(base, "sandbox"), nil
}

// checkPrivateDir requires path to be a directory, not a symlink, owned by
// uid and, when closed is set, with no permission for group or others.
func checkPrivateDir(path string, uid int, closed bool) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode()&os.ModeSymlink != 0:
		return fmt.Errorf("%s is a symlink", path)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", path)
	case !ok || int(st.Uid) != uid:
		return fmt.Errorf("%s is owned by uid %d, not by you (uid %d)", path, st.Uid, uid)
	case closed && fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("%s has mode %04o; want it closed to others (0700)", path, fi.Mode().Perm())
	}
	return nil
}

// continueInUserNS handles a re-executed child: in stage "wait" it waits
// for its id maps, then execs itself again as root of the namespace; in
// stage "ready" it drops the marker so that nothing it starts inherits it.
func continueInUserNS() error {
	switch os.Getenv(userns.StageEnv) {
	case "wait":
		if err := userns.WaitForMaps(os.NewFile(3, "userns-sync")); err != nil {
			return err
		}
		os.Setenv(userns.StageEnv, "ready")
		return userns.Exec("/proc/self/exe", os.Args, os.Environ())
	case "ready":
		os.Unsetenv(userns.StageEnv)
	}
	return nil
}
