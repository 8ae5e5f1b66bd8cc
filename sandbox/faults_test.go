package sandbox_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/sandbox"
	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
)

func TestNewLibcontainerFaults(t *testing.T) {
	requireRoot(t)
	tmp := t.TempDir()
	notDir := filepath.Join(tmp, "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	roDir := filepath.Join(tmp, "ro")
	if err := os.Mkdir(roDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", roDir, "tmpfs", unix.MS_RDONLY, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(roDir, unix.MNT_DETACH) })
	noNet := fakeNamespaceDir(t, "net")
	noPid := fakeNamespaceDir(t, "pid")
	for _, tc := range []struct {
		name string
		cfg  sandbox.LibcontainerConfig
		want []string
	}{
		{"no state dir", sandbox.LibcontainerConfig{}, []string{"no state directory"}},
		{"state dir below a file", sandbox.LibcontainerConfig{StateDir: filepath.Join(notDir, "state")},
			[]string{"create state directory", notDir, "writable"}},
		{"read-only state dir", sandbox.LibcontainerConfig{StateDir: roDir},
			[]string{"state directory", roDir, "writable"}},
		{"no network namespace", sandbox.LibcontainerConfig{StateDir: filepath.Join(tmp, "s1"), NamespaceDir: noNet},
			[]string{"network namespace", filepath.Join(noNet, "net"), "CONFIG_NET_NS"}},
		{"no pid namespace", sandbox.LibcontainerConfig{StateDir: filepath.Join(tmp, "s2"), NamespaceDir: noPid},
			[]string{"pid namespace", "CONFIG_PID_NS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sandbox.NewLibcontainer(tc.cfg)
			if err == nil {
				t.Fatalf("NewLibcontainer(%+v) succeeded, want an error naming %q", tc.cfg, tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

// fakeNamespaceDir returns a copy of /proc/self/ns without name, as on a
// kernel built without that namespace.
func fakeNamespaceDir(t *testing.T, name string) string {
	dir := t.TempDir()
	for _, e := range sandboxtest.List(t, sandbox.DefaultNamespaceDir) {
		if e != name {
			if err := os.WriteFile(filepath.Join(dir, e), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return dir
}

const (
	helperEnv       = "STEVEDORE_SANDBOX_TEST_HELPER"
	helperStateEnv  = "STEVEDORE_SANDBOX_TEST_STATE"
	helperRootfsEnv = "STEVEDORE_SANDBOX_TEST_ROOTFS"
)

// helperMain is a stand-in for a stevedore process: it runs `sleep` in a
// sandbox until it is killed.
func helperMain() int {
	r, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: os.Getenv(helperStateEnv)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	_, err = r.Run(context.Background(), sandbox.Spec{Rootfs: os.Getenv(helperRootfsEnv),
		Args: []string{"/bin/sh", "-c", "sleep 1000 & sleep 1000"}})
	fmt.Fprintln(os.Stderr, "helper: run returned:", err)
	return 1
}

// TestKilledRunIsSwept kills -9 a process in the middle of a run and checks
// that its container dies with it and that the next runner removes its
// state, cgroup and mount stubs.
func TestKilledRunIsSwept(t *testing.T) {
	requireRoot(t)
	state := filepath.Join(t.TempDir(), "state")
	rootfs := sandboxtest.Busybox(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=1", helperStateEnv+"="+state, helperRootfsEnv+"="+rootfs)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, "the sandboxed sleep to start", func() bool { return len(sandboxtest.ProcessesIn(rootfs)) >= 2 })
	ids := runDirs(t, state)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitFor(t, "the container to die with its parent", func() bool { return len(sandboxtest.ProcessesIn(rootfs)) == 0 })
	if len(ids) != 1 || len(runDirs(t, state)) != 1 {
		t.Fatalf("state before sweep = %q, want one run directory", ids)
	}
	if got := sandboxtest.List(t, rootfs); !strings.Contains(strings.Join(got, " "), "etc") {
		t.Logf("rootfs before sweep: %q", got)
	}
	newRunner2 := func() { // a new run sweeps
		if _, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: state}); err != nil {
			t.Fatal(err)
		}
	}
	newRunner2()
	if left := runDirs(t, state); len(left) != 0 {
		t.Errorf("state after sweep = %q, want empty", left)
	}
	if cg := runCgroups(ids[0]); len(cg) != 0 {
		t.Errorf("cgroups after sweep: %q", cg)
	}
	if got := sandboxtest.List(t, rootfs); strings.Join(got, " ") != "bin dev linuxrc proc sbin sys usr" {
		t.Errorf("rootfs after sweep = %q, want the stubs gone", got)
	}
	if m := sandboxtest.MountsUnder(t, rootfs); len(m) != 0 {
		t.Errorf("still mounted under the rootfs: %q", m)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRlimitAboveHardLimit asks for a nofile hard limit above this
// process's: without CAP_SYS_RESOURCE that must fail up front with an error
// that says why, instead of libcontainer's "error setting rlimit type 7".
func TestRlimitAboveHardLimit(t *testing.T) {
	r := newRunner(t)
	rootfs := sandboxtest.Busybox(t)
	var cur unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &cur); err != nil {
		t.Fatal(err)
	}
	hard := cur.Max + 1
	var stdout strings.Builder
	res, err := r.Run(context.Background(), sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/sh", "-c", "ulimit -Hn"},
		Rlimits: []sandbox.Rlimit{{Name: "nofile", Soft: 1024, Hard: hard}}, Stdout: &stdout})
	if hasCapSysResource(t) {
		if err != nil || res.ExitCode != 0 || stdout.String() != fmt.Sprintf("%d\n", hard) {
			t.Errorf("with CAP_SYS_RESOURCE: %v, exit %d, ulimit -Hn %q; want %d", err, res.ExitCode, stdout.String(), hard)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "CAP_SYS_RESOURCE") || !strings.Contains(err.Error(), "nofile") {
		t.Errorf("without CAP_SYS_RESOURCE: err = %v, want one naming nofile and CAP_SYS_RESOURCE", err)
	}
	if got := strings.Join(sandboxtest.List(t, rootfs), " "); got != "bin linuxrc sbin usr" {
		t.Errorf("rootfs after a refused run = %q, want it untouched", got)
	}
}

func hasCapSysResource(t *testing.T) bool {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:\t"); ok {
			var caps uint64
			fmt.Sscanf(v, "%x", &caps)
			return caps&(1<<unix.CAP_SYS_RESOURCE) != 0
		}
	}
	return false
}

// TestPidsLimit runs a fork bomb with a small pids limit: it fails inside
// the sandbox, the run ends, and a run without a limit of its own gets
// DefaultPidsLimit in its cgroup.
func TestPidsLimit(t *testing.T) {
	r := newRunner(t)
	rootfs := sandboxtest.Busybox(t)
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// 200 sleeping children, at most 64 processes: forks fail.
	res, err := r.Run(ctx, sandbox.Spec{Rootfs: rootfs, PidsLimit: 64, Stdout: &out, Stderr: &out,
		Args: []string{"/bin/sh", "-c", `n=0; while [ $n -lt 200 ]; do sleep 30 & n=$((n+1)); done; echo started all`}})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode == 0 || !res.PidsLimitHit || strings.Contains(out.String(), "started all") || !strings.Contains(out.String(), "fork") {
		t.Errorf("fork loop under a limit of 64: exit %d, limit hit %v, output %q; want the shell to fail to fork", res.ExitCode, res.PidsLimitHit, out.String())
	}
	out.Reset()
	res, err = r.Run(ctx, sandbox.Spec{Rootfs: rootfs, Stdout: &out, Stderr: &out,
		Args: []string{"/bin/sh", "-c", "cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.TrimSpace(out.String()), fmt.Sprint(sandbox.DefaultPidsLimit); res.ExitCode != 0 || got != want {
		t.Errorf("pids.max in a run without a limit = %q (exit %d), want %s", got, res.ExitCode, want)
	}
}
