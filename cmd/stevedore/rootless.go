package main

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"

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
		env = append(env, "STEVEDORE_STATE_DIR="+filepath.Join(os.TempDir(), fmt.Sprintf("stevedore-%d", uid), "sandbox"))
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
