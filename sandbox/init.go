package sandbox

import (
	"github.com/opencontainers/runc/libcontainer"
	"golang.org/x/sys/unix"
)

// InitPipeEnv is the variable libcontainer sets when it re-executes the
// binary as a container's init process.
const InitPipeEnv = "_LIBCONTAINER_INITPIPE"

// IsInit reports whether a process started with args, and with initPipe as
// the value of InitPipeEnv, is libcontainer's re-executed init. Both must
// hold, so that a user-facing "init" argument is never taken for it.
func IsInit(args []string, initPipe string) bool {
	return len(args) > 1 && args[1] == "init" && initPipe != ""
}

// Init turns the process into the container's init: it sets up the
// container from inside and execs the user's command. It never returns.
// Call it first thing (from an init function) when IsInit is true.
//
// The container's process gets SIGKILL when the thread of the stevedore
// process that started it dies (Run keeps that thread for the whole run), so
// `kill -9 stevedore` does not leave builds running. libcontainer keeps this
// parent-death signal across its setuid and the exec of the command.
func Init() {
	_ = unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(unix.SIGKILL), 0, 0, 0)
	bpfCacheChild()
	libcontainer.Init()
}
