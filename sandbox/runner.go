package sandbox

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Runner runs one process in a root filesystem directory and waits for it.
//
// Run returns an error only when the process could not be started or the
// sandbox could not be set up or torn down; a process that ran and exited
// non-zero is a Result with that ExitCode and a nil error. Writes land in
// Spec.Rootfs itself, so the caller can diff it afterwards.
type Runner interface {
	Run(ctx context.Context, spec Spec) (Result, error)
}

// Spec describes one process to run.
type Spec struct {
	// Rootfs is the root filesystem directory (absolute or relative to the
	// caller's working directory). It must exist.
	Rootfs string
	// Args is the command and its arguments; Args[0] is looked up in the
	// rootfs using PATH from Env when it has no slash.
	Args []string
	// Env is the process environment as KEY=VALUE. PATH defaults to
	// DefaultPath and HOME to the user's passwd home (or "/"), as in BuildKit.
	Env []string
	// Cwd is the working directory inside the rootfs; "" means "/". It is
	// created (mode 0755, owned by the user) when missing, as BuildKit does.
	Cwd string
	// User is "uid[:gid]" or "name[:group]", resolved from the rootfs's own
	// /etc/passwd and /etc/group; "" means root.
	User string
	// Rlimits are applied to the process; nil keeps libcontainer's default
	// (the caller's limits), as BuildKit does without --ulimit.
	Rlimits []Rlimit
	// PidsLimit bounds the processes and threads the run may have at once
	// (the cgroup pids controller), so that a fork bomb in a recipe fails
	// inside its sandbox instead of exhausting the host's process table.
	// 0 means DefaultPidsLimit, a negative value no limit. Rootless runs
	// have no cgroup and therefore no limit.
	PidsLimit int64
	// OutboundNetwork gives the process outbound network access from a
	// network namespace of its own, through a user-mode network stack
	// (slirp4netns or pasta, see NetworkHelpers), as rootless Podman does:
	// it reaches the internet and the host's external addresses, never the
	// host's loopback or abstract unix sockets. stevedore grants it only to
	// explicitly allowed fetch steps; every other run has only lo.
	OutboundNetwork bool
	// Mounts are added after BuildKit's default mounts (RUN --mount).
	// Mount points missing from the rootfs are created by the runtime and
	// removed afterwards, as BuildKit's MountStubsCleaner removes them.
	Mounts []Mount
	// Stdout and Stderr receive the process's output; nil discards it.
	// As under BuildKit, the process's fds 0, 1 and 2 are three pipes, and
	// stdin is at end of file.
	Stdout, Stderr io.Writer
}

// Mount is one extra mount of a run: a bind of a host directory or file,
// or a tmpfs.
type Mount struct {
	// Dest is the absolute path inside the rootfs.
	Dest string
	// Type is "bind" or "tmpfs".
	Type string
	// Source is the host path of a bind.
	Source string
	// ReadOnly mounts it read-only.
	ReadOnly bool
	// Size limits a tmpfs, in bytes (0: the kernel's default).
	Size int64
}

// Result is what is known about a process that ran.
type Result struct {
	// ExitCode is the process's exit status, or 128+signal when a signal
	// ended it.
	ExitCode int
	// PidsLimitHit is set when the run tried to have more processes or
	// threads than its pids limit allowed (a fork failed for it).
	PidsLimitHit bool
}

// DefaultPath is the PATH a process gets when Spec.Env has none; it is
// BuildKit's and containerd's default.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// DefaultPidsLimit is the pids limit of a run whose Spec sets none: far
// more than a parallel compiler needs, far fewer than a host's pid_max
// (32768 on many).
const DefaultPidsLimit = 4096

// Hostname is the host name every sandbox gets, BuildKit's default.
const Hostname = "buildkitsandbox"

// Rlimit is one resource limit, named as in `docker build --ulimit`
// ("nofile", "nproc", ...).
type Rlimit struct {
	Name       string
	Soft, Hard uint64
}

// String formats r as ParseRlimit accepts it.
func (r Rlimit) String() string {
	return fmt.Sprintf("%s=%d:%d", r.Name, r.Soft, r.Hard)
}

// ParseRlimit parses "name=soft[:hard]" (the --ulimit syntax of docker build
// and BuildKit); a missing hard limit equals the soft one.
func ParseRlimit(s string) (Rlimit, error) {
	name, val, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return Rlimit{}, fmt.Errorf("parse ulimit %q: want name=soft[:hard]", s)
	}
	if _, known := rlimitTypes[name]; !known {
		return Rlimit{}, fmt.Errorf("parse ulimit %q: unknown limit %q", s, name)
	}
	softS, hardS, hasHard := strings.Cut(val, ":")
	soft, err := strconv.ParseUint(softS, 10, 64)
	if err != nil {
		return Rlimit{}, fmt.Errorf("parse ulimit %q: soft limit: %w", s, err)
	}
	hard := soft
	if hasHard {
		if hard, err = strconv.ParseUint(hardS, 10, 64); err != nil {
			return Rlimit{}, fmt.Errorf("parse ulimit %q: hard limit: %w", s, err)
		}
	}
	if soft > hard {
		return Rlimit{}, fmt.Errorf("parse ulimit %q: soft limit above hard limit", s)
	}
	return Rlimit{Name: name, Soft: soft, Hard: hard}, nil
}
