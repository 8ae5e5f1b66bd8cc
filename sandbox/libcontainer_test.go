package sandbox_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stevedore-build/stevedore/sandbox"
	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
)

// TestMain doubles as libcontainer's init (the test binary is re-executed
// as "<argv0> init") and as the helper process of TestKilledRunIsSwept.
func TestMain(m *testing.M) {
	if sandbox.IsInit(os.Args, os.Getenv(sandbox.InitPipeEnv)) {
		sandbox.Init()
	}
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain())
	}
	code := m.Run()
	if cliPath != "" {
		_ = os.RemoveAll(filepath.Dir(cliPath))
	}
	os.Exit(code)
}

// newRunner returns a Libcontainer with a private state directory and
// checks, when the test ends, that none of its runs left state or cgroups.
func newRunner(t testing.TB) *sandbox.Libcontainer {
	t.Helper()
	requireRoot(t)
	dir := filepath.Join(t.TempDir(), "state")
	r, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ids []string
	sandbox.OnRunForTest(r, func(id string) { mu.Lock(); ids = append(ids, id); mu.Unlock() })
	t.Cleanup(func() {
		if left := runDirs(t, dir); len(left) != 0 {
			t.Errorf("run state left in %s: %q", dir, left)
		}
		mu.Lock()
		defer mu.Unlock()
		for _, id := range ids {
			if cg := runCgroups(id); len(cg) != 0 {
				t.Errorf("cgroups of run %s left behind: %q", id, cg)
			}
		}
	})
	return r
}

func requireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the libcontainer sandbox needs root")
	}
}

// runDirs lists the run directories in a state directory (its shared etc/
// directory is not one).
func runDirs(t testing.TB, stateDir string) []string {
	var out []string
	for _, name := range sandboxtest.List(t, stateDir) {
		if strings.HasPrefix(name, "sbx-") || strings.HasPrefix(name, ".new-") {
			out = append(out, name)
		}
	}
	return out
}

// runCgroups lists the cgroups of run id in every hierarchy.
func runCgroups(id string) []string {
	m, _ := filepath.Glob("/sys/fs/cgroup/*/stevedore/" + id)
	m2, _ := filepath.Glob("/sys/fs/cgroup/stevedore/" + id)
	return append(m, m2...)
}

func TestConformance(t *testing.T) {
	sandboxtest.Run(t, func(t *testing.T) sandbox.Runner { return newRunner(t) })
}

func TestParseRlimit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    sandbox.Rlimit
		wantErr string
	}{
		{"nofile=2048:16384", sandbox.Rlimit{Name: "nofile", Soft: 2048, Hard: 16384}, ""},
		{"nproc=100", sandbox.Rlimit{Name: "nproc", Soft: 100, Hard: 100}, ""},
		{"nofile", sandbox.Rlimit{}, "want name=soft[:hard]"},
		{"bogus=1:2", sandbox.Rlimit{}, "unknown limit"},
		{"nofile=x:2", sandbox.Rlimit{}, "soft limit"},
		{"nofile=3:2", sandbox.Rlimit{}, "soft limit above hard"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := sandbox.ParseRlimit(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseRlimit(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("ParseRlimit(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
			if got.String() != tc.in && tc.want.Soft != tc.want.Hard {
				t.Errorf("String() = %q, want %q", got.String(), tc.in)
			}
		})
	}
}

// TestExecFailure checks a command that exists but cannot be executed: as
// with runc under BuildKit, the init reports the execve error on stderr and
// exits 255, and the run cleans up like any other.
func TestExecFailure(t *testing.T) {
	r := newRunner(t)
	rootfs := sandboxtest.Busybox(t)
	// Executable but not a valid binary: passes the lookup, fails execve.
	sandboxtest.WriteFile(t, rootfs, "bin/broken", "not an elf\n", 0o755)
	out := sandboxtest.RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/broken"}})
	if out.Result.ExitCode != 255 || !strings.Contains(out.Stderr, "/bin/broken: exec format error") {
		t.Errorf("exec of a non-ELF file: exit %d, stderr %q; want 255 and the execve error", out.Result.ExitCode, out.Stderr)
	}
	if got := strings.Join(sandboxtest.List(t, rootfs), " "); got != "bin dev linuxrc proc sbin sys usr" {
		t.Errorf("rootfs after a failed exec: %q, want no /etc stub", got)
	}
}
