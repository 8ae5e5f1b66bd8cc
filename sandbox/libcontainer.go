package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	// Registers the cgroup device-rule manager libcontainer needs.
	"github.com/moby/sys/userns"
	_ "github.com/opencontainers/cgroups/devices"
	"github.com/opencontainers/runc/libcontainer"
	"github.com/opencontainers/runc/libcontainer/configs"
	// Side effect: a cgo constructor that sets up namespaces in the
	// re-executed init process before the Go runtime starts.
	_ "github.com/opencontainers/runc/libcontainer/nsenter"
	"github.com/opencontainers/runc/libcontainer/seccomp"
	"github.com/opencontainers/runc/libcontainer/specconv"
	"golang.org/x/sys/unix"
)

// Libcontainer is the Runner built on runc's libcontainer, linked into the
// calling binary. It is safe for concurrent use; each Run is one container.
type Libcontainer struct {
	stateDir string
	nsDir    string
	helpers  NetworkHelpers
	bpf      bpfCache
	// onRun, when set (tests only), is told each run's id.
	onRun func(id string)
}

var _ Runner = (*Libcontainer)(nil)

// LibcontainerConfig configures NewLibcontainer.
type LibcontainerConfig struct {
	// StateDir holds one directory per live run (created if missing, mode
	// 0700). Runners sharing it sweep each other's leftovers.
	StateDir string
	// NamespaceDir is where the host's namespace support is checked;
	// "" means DefaultNamespaceDir. Tests point it elsewhere to simulate a
	// host without some namespace.
	NamespaceDir string
	// Network is the user-mode network stack outbound runs use; without
	// it, an outbound run fails with an error saying what to install.
	Network NetworkHelpers
}

// NewLibcontainer checks that the host can run sandboxes, prepares the state
// directory and sweeps what killed earlier runs left there.
func NewLibcontainer(cfg LibcontainerConfig) (*Libcontainer, error) {
	if cfg.StateDir == "" {
		return nil, errors.New("create sandbox runner: no state directory given")
	}
	dir, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("create sandbox runner: state directory %s: %w", cfg.StateDir, err)
	}
	l := &Libcontainer{stateDir: dir, nsDir: cfg.NamespaceDir, helpers: cfg.Network}
	if l.nsDir == "" {
		l.nsDir = DefaultNamespaceDir
	}
	if err := checkHost(l.nsDir, os.Geteuid()); err != nil {
		return nil, err
	}
	if !seccomp.Enabled {
		return nil, errors.New("create sandbox runner: built without seccomp support: rebuild with -tags seccomp and libseccomp-dev installed")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory %s: %w (choose a writable state directory)", dir, err)
	}
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return nil, fmt.Errorf("create state directory %s: not writable: %w (choose a writable state directory)", dir, err)
	}
	if err := sweep(dir); err != nil {
		return nil, err
	}
	return l, nil
}

// StateDir returns the state directory in use.
func (l *Libcontainer) StateDir() string { return l.stateDir }

// Sweep removes what runs killed earlier left in the state directory and
// reports what it could not remove. NewLibcontainer and every Run call it;
// it is exported for a CLI "clean" command.
func (l *Libcontainer) Sweep() error { return sweep(l.stateDir) }

// Run runs spec in a fresh container and removes every trace of the
// container (processes, cgroup, state, mount stubs) before it returns, also
// when ctx is cancelled, which kills the whole process tree.
func (l *Libcontainer) Run(ctx context.Context, spec Spec) (res Result, err error) {
	if err := ctx.Err(); err != nil {
		return Result{}, fmt.Errorf("run sandbox: %w", err)
	}
	p, err := prepare(spec)
	if err != nil {
		return Result{}, err
	}
	// Best effort: a leftover that cannot be removed yet (a process stuck
	// in the kernel) must not stop new runs; Sweep reports it.
	_ = l.Sweep()
	rd, err := newRunDir(l.stateDir)
	if err != nil {
		return Result{}, err
	}
	destroyed := true
	defer func() {
		if cerr := rd.close(destroyed); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if l.onRun != nil {
		l.onRun(rd.ID)
	}
	stubs := findMountStubs(p.rootfs, p.mounts)
	if err := rd.saveStubs(stubs); err != nil {
		return Result{}, err
	}
	defer stubs.remove()
	netns := ""
	if p.outbound {
		n, err := newOutboundNet(l.helpers)
		if err != nil {
			return Result{}, err
		}
		defer n.close()
		netns = n.path
	}
	c, cfg, err := l.create(rd, p, netns)
	if err != nil {
		return Result{}, err
	}
	defer func() {
		if derr := destroy(c, rd.ID); derr != nil {
			destroyed = false // leave the run's state for the next sweep
			if err == nil {
				err = derr
			}
		}
	}()
	bpf := l.bpf.offer(cfg.Seccomp)
	defer l.bpf.done(bpf)
	res, err = start(ctx, c, p, bpf.files())
	res.PidsLimitHit = pidsLimitHit(rd.ID)
	return res, err
}

// pidsLimitHit reads the "max" counter of the run's pids.events (cgroup v1
// pids hierarchy or v2), before the cgroup is removed.
func pidsLimitHit(id string) bool {
	for _, f := range []string{"/sys/fs/cgroup/pids" + cgroupsPath(id) + "/pids.events", "/sys/fs/cgroup" + cgroupsPath(id) + "/pids.events"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if n, ok := strings.CutPrefix(line, "max "); ok && strings.TrimSpace(n) != "0" {
				return true
			}
		}
	}
	return false
}

// create creates (but does not start) the run's container.
func (l *Libcontainer) create(rd *runDir, p *prepared, netns string) (*libcontainer.Container, *configs.Config, error) {
	hosts, resolv, err := ensureEtcFiles(l.stateDir)
	if err != nil {
		return nil, nil, err
	}
	if netns != "" {
		// The helper's DNS forwarder, which asks the host's resolvers.
		if resolv, err = outboundResolvConf(l.stateDir); err != nil {
			return nil, nil, err
		}
	}
	cgPath := cgroupsPath(rd.ID)
	if userns.RunningInUserNS() {
		// No cgroup can be made; an empty path lets libcontainer skip
		// them (ErrRootless) instead of failing.
		cgPath = ""
	}
	s, err := buildkitSpec(specInput{
		Rootfs: p.rootfs, HostsFile: hosts, ResolvConf: resolv,
		CgroupsPath: cgPath, NetNSPath: netns, InUserNS: userns.RunningInUserNS(), PidsLimit: p.pids,
	})
	if err != nil {
		return nil, nil, err
	}
	s.Mounts = append(s.Mounts, userMounts(p.mounts)...)
	// Rootless (as root of a user namespace), cgroups cannot be created;
	// libcontainer then runs without them, as docs/sandbox-notes.md found.
	cfg, err := specconv.CreateLibcontainerConfig(&specconv.CreateOpts{CgroupName: rd.ID, Spec: s, RootlessCgroups: userns.RunningInUserNS()})
	if err != nil {
		return nil, nil, fmt.Errorf("convert sandbox spec: %w", err)
	}
	// libcontainer keeps its state in <run dir>/<id>.
	c, err := libcontainer.Create(rd.Path, rd.ID, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("create container in %s: %w", rd.Path, err)
	}
	return c, cfg, nil
}

// destroy removes a container whose init has exited, its cgroup included.
// The shared parent cgroup (/stevedore) stays, as BuildKit's /buildkit does:
// recreating it in every hierarchy would cost each run a few milliseconds.
func destroy(c *libcontainer.Container, id string) error {
	if err := c.Destroy(); err != nil {
		_ = c.Signal(unix.SIGKILL)
		if err := destroyCgroup(id); err != nil {
			return fmt.Errorf("destroy container %s: %w", id, err)
		}
	}
	return nil
}
