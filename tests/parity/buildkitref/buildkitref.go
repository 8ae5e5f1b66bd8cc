package buildkitref

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"
)

// Options say where the reference's binaries and daemon state live.
type Options struct {
	// Script is buildkit.sh; empty means the one next to this package.
	Script string
	// Cache holds the built binaries; empty means the script's default
	// (/var/cache/stevedore/buildkit-v0.34.2), outside the repository.
	Cache string
	// Workdir holds the daemon's socket, root and log (Start only).
	Workdir string
	// StartTimeout bounds the wait for the daemon to answer; 0 means the
	// script's default (60s).
	StartTimeout time.Duration
}

// DefaultScript returns the path of tests/parity/buildkit.sh in the source
// tree this package was compiled from.
func DefaultScript() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "buildkit.sh")
}

func (o Options) script() string {
	if o.Script != "" {
		return o.Script
	}
	return DefaultScript()
}

// run runs one subcommand of the script and returns its stdout. On failure
// the error carries the script's stderr.
func (o Options) run(ctx context.Context, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, o.script(), args...)
	cmd.Env = os.Environ()
	if o.Cache != "" {
		cmd.Env = append(cmd.Env, "STEVEDORE_BUILDKIT_CACHE="+o.Cache)
	}
	if o.StartTimeout > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("BUILDKIT_START_TIMEOUT=%d", int(o.StartTimeout.Seconds()+0.999)))
	}
	cmd.Env = append(cmd.Env, env...)
	// A canceled context kills the script's whole process group: buildctl
	// too, so that buildkitd abandons the build.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("buildkit.sh %s: %w\n%s", args[0], err, tail(stderr.String(), 40))
	}
	return strings.TrimSpace(stdout.String()), nil
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Ensure builds buildkitd and buildctl unless they are cached, and returns
// the directory holding them.
func Ensure(ctx context.Context, o Options) (string, error) {
	out, err := o.run(ctx, nil, "ensure")
	if err != nil {
		return "", err
	}
	return lastLine(out), nil
}

func lastLine(s string) string {
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Daemon is a running private buildkitd.
type Daemon struct {
	// Addr is its address, unix://<socket>.
	Addr string
	// Workdir holds its state and buildkitd.log.
	Workdir string
	opts    Options
}

// Start ensures the binaries and starts a buildkitd in o.Workdir.
func Start(ctx context.Context, o Options) (*Daemon, error) {
	if o.Workdir == "" {
		return nil, fmt.Errorf("start buildkitd: no workdir")
	}
	out, err := o.run(ctx, nil, "start", o.Workdir)
	if err != nil {
		return nil, err
	}
	addr, ok := strings.CutPrefix(lastLine(out), "BUILDKIT_HOST=")
	if !ok {
		return nil, fmt.Errorf("start buildkitd: unexpected output %q", out)
	}
	return &Daemon{Addr: addr, Workdir: o.Workdir, opts: o}, nil
}

// Stop stops the daemon and removes its state.
func (d *Daemon) Stop(ctx context.Context) error {
	_, err := d.opts.run(ctx, nil, "stop", d.Workdir)
	return err
}

// Log returns the end of the daemon's log, for failure messages.
func (d *Daemon) Log() string {
	b, err := os.ReadFile(filepath.Join(d.Workdir, "buildkitd.log"))
	if err != nil {
		return err.Error()
	}
	return tail(string(b), 40)
}

// BuildOptions describe StageX's `docker build` of one target.
type BuildOptions struct {
	// Context is the main build context, packages/<stage>/<origin>.
	Context string
	// Containerfile defaults to Context/Containerfile.
	Containerfile string
	// Fetch is the "fetch" named context, fetch/<stage>/<origin>; optional.
	Fetch string
	// Platform defaults to linux/amd64.
	Platform string
	// BuildArgs are passed besides SOURCE_DATE_EPOCH=1 and
	// BUILDKIT_MULTI_PLATFORM=1, which are always set.
	BuildArgs map[string]string
	// Target is the stage to build (package-<sub>); empty builds the last.
	Target string
	// Deps maps a dependency name (<stage>-<name>) to its OCI layout; the
	// recipe sees it as stagex/<name>.
	Deps map[string]string
	// Name is the output name, <stage>-<name>.
	Name string
	// Version is org.opencontainers.image.version; empty means "latest".
	Version string
	// Dest is the OCI layout directory to write; it must not exist.
	Dest string
}

// ExtraBuildArgs returns a target's build arguments (recipes.Target's
// BuildArgs) without the ones buildkit.sh always passes (SOURCE_DATE_EPOCH,
// BUILDKIT_MULTI_PLATFORM) and without BUILDKIT_DOCKERFILE_CHECK: StageX
// passes it to turn BuildKit's lint checks into errors, stevedore does not
// run those checks, and no image depends on it.
func ExtraBuildArgs(all map[string]string) map[string]string {
	args := map[string]string{}
	for k, v := range all {
		switch k {
		case "SOURCE_DATE_EPOCH", "BUILDKIT_MULTI_PLATFORM", "BUILDKIT_DOCKERFILE_CHECK":
		default:
			args[k] = v
		}
	}
	return args
}

// Args returns the buildkit.sh build arguments for o, in a stable order.
func (o BuildOptions) Args() []string {
	args := []string{"--context", o.Context, "--name", o.Name, "--dest", o.Dest}
	opt := func(flag, v string) {
		if v != "" {
			args = append(args, flag, v)
		}
	}
	opt("--file", o.Containerfile)
	opt("--fetch", o.Fetch)
	opt("--platform", o.Platform)
	opt("--target", o.Target)
	opt("--version", o.Version)
	for _, k := range sortedKeys(o.BuildArgs) {
		args = append(args, "--build-arg", k+"="+o.BuildArgs[k])
	}
	for _, k := range sortedKeys(o.Deps) {
		args = append(args, "--dep", k+"="+o.Deps[k])
	}
	return args
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Prune drops the daemon's whole build cache. It waits for the build that
// runs, and no build starts until it is done.
func (d *Daemon) Prune(ctx context.Context) error {
	if _, err := d.opts.run(ctx, nil, "prune", "--addr", d.Addr); err != nil {
		return fmt.Errorf("%w\nbuildkitd log:\n%s", err, d.Log())
	}
	return nil
}

// Build runs the reference build of one target into o.Dest.
func (d *Daemon) Build(ctx context.Context, o BuildOptions) error {
	args := append([]string{"build", "--addr", d.Addr}, o.Args()...)
	if _, err := d.opts.run(ctx, nil, args...); err != nil {
		return fmt.Errorf("%w\nbuildkitd log:\n%s", err, d.Log())
	}
	return nil
}
