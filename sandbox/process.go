package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
)

// prepared is a validated Spec with everything resolved.
type prepared struct {
	rootfs   string
	args     []string
	env      []string
	cwd      string
	ids      ids
	rlimits  []configs.Rlimit
	stdout   io.Writer
	stderr   io.Writer
	outbound bool
	pids     int64 // > 0: the cgroup pids limit
	mounts   []Mount
}

// prepare validates spec against its rootfs before anything is created, so
// bad input fails with nothing to clean up.
func prepare(spec Spec) (*prepared, error) {
	if len(spec.Args) == 0 {
		return nil, errors.New("run sandbox: no command given")
	}
	rootfs, err := resolveRootfs(spec.Rootfs)
	if err != nil {
		return nil, err
	}
	for _, kv := range spec.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" || strings.ContainsRune(kv, 0) {
			return nil, fmt.Errorf("run sandbox: environment entry %q: want KEY=VALUE", kv)
		}
	}
	p := &prepared{rootfs: rootfs, args: spec.Args, env: withDefaultEnv(spec.Env), cwd: spec.Cwd, outbound: spec.OutboundNetwork, pids: spec.PidsLimit, mounts: spec.Mounts}
	if p.pids == 0 {
		p.pids = DefaultPidsLimit
	}
	for _, m := range spec.Mounts {
		if !filepath.IsAbs(m.Dest) || (m.Type != "bind" && m.Type != "tmpfs") {
			return nil, fmt.Errorf("run sandbox: mount %+v: want an absolute destination and type bind or tmpfs", m)
		}
	}
	if p.cwd == "" {
		p.cwd = "/"
	}
	if !filepath.IsAbs(p.cwd) {
		return nil, fmt.Errorf("run sandbox: working directory %q is not absolute", p.cwd)
	}
	if p.ids, err = resolveUser(rootfs, spec.User); err != nil {
		return nil, err
	}
	if p.rlimits, err = toConfigRlimits(spec.Rlimits); err != nil {
		return nil, err
	}
	if err := checkCommand(rootfs, p.cwd, spec.Args[0], envValue(p.env, "PATH")); err != nil {
		return nil, err
	}
	if err := ensureCwd(rootfs, p.cwd, p.ids); err != nil {
		return nil, err
	}
	p.stdout, p.stderr = pipedWriters(spec.Stdout, spec.Stderr)
	return p, nil
}

func resolveRootfs(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("run sandbox: no rootfs given")
	}
	abs, err := filepath.Abs(dir)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return "", fmt.Errorf("open rootfs %s: %w (pass an existing directory)", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("open rootfs %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("open rootfs %s: not a directory", dir)
	}
	if abs == "/" {
		return "", errors.New("open rootfs /: refusing to run in the host's root")
	}
	return abs, nil
}

// pipedWriters wraps stdout and stderr so that the process always gets two
// separate pipes, as under BuildKit: never a host file or terminal it could
// ioctl (TIOCSTI), never one shared pipe when the caller passes the same
// writer twice. One lock serialises the two copying goroutines' writes.
func pipedWriters(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	mu := &sync.Mutex{}
	wrap := func(w io.Writer) io.Writer {
		if w == nil {
			w = io.Discard
		}
		return &lockedWriter{mu: mu, w: w}
	}
	return wrap(stdout), wrap(stderr)
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// start runs p as the container's init and waits for it. Cancelling ctx
// kills init; with a private pid namespace the kernel then kills every
// other process of the container.
func start(ctx context.Context, c *libcontainer.Container, p *prepared, extra []*os.File) (Result, error) {
	proc := &libcontainer.Process{
		Args: p.args, Env: p.env, Cwd: p.cwd,
		UID: p.ids.UID, GID: p.ids.GID, AdditionalGroups: p.ids.Groups,
		// An empty reader gives the process a pipe at EOF, as BuildKit does.
		Stdin:  strings.NewReader(""),
		Stdout: p.stdout, Stderr: p.stderr,
		Rlimits:    p.rlimits,
		ExtraFiles: extra, // init closes them before the user's command runs
		Init:       true,
	}
	// The parent-death signal fires when the creating thread exits: keep
	// this goroutine on one thread until the process is gone.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := c.Run(proc); err != nil {
		return Result{}, fmt.Errorf("start %q in %s: %w", p.args[0], p.rootfs, err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = proc.Signal(unix.SIGKILL)
		case <-done:
		}
	}()
	state, err := proc.Wait()
	if state == nil {
		return Result{}, fmt.Errorf("wait for %q in %s: %w", p.args[0], p.rootfs, err)
	}
	if ctx.Err() != nil {
		return Result{ExitCode: exitCode(state)}, fmt.Errorf("run %q in %s: %w", p.args[0], p.rootfs, ctx.Err())
	}
	return Result{ExitCode: exitCode(state)}, nil
}

func exitCode(state *os.ProcessState) int {
	ws, ok := state.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return state.ExitCode()
}
