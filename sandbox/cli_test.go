package sandbox_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// stevedoreBin returns $STEVEDORE_BIN (set by `make test`) or a stevedore
// built from this tree with the Makefile's tags.
func stevedoreBin(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("STEVEDORE_BIN"); p != "" {
		return p
	}
	cliOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		dir, err := os.MkdirTemp("", "stevedore-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath, cliErr = testenv.Stevedore(filepath.Join(filepath.Dir(file), ".."), dir)
	})
	if cliErr != nil {
		t.Fatalf("build stevedore: %v", cliErr)
	}
	return cliPath
}

// TestCLI runs `stevedore sandbox run` as a user would.
func TestCLI(t *testing.T) {
	requireRoot(t)
	bin := stevedoreBin(t)
	rootfs := sandboxtest.Busybox(t)
	state := filepath.Join(t.TempDir(), "state")
	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "STEVEDORE_STATE_DIR="+state)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	}
	for _, tc := range []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{"exit status passes through", []string{"sandbox", "run", "--rootfs", rootfs, "--", "sh", "-c", "exit 42"}, 42, "", ""},
		{"flags", []string{"sandbox", "run", "--rootfs", rootfs, "--env", "A=b", "--cwd", "/w", "--user", "7:8",
			"--ulimit", "nofile=2048:16384", "--", "sh", "-c", `echo "$A $(pwd) $(id -u):$(id -g) $(ulimit -n):$(ulimit -Hn)"`},
			0, "b /w 7:8 2048:16384\n", ""},
		{"command not found", []string{"sandbox", "run", "--rootfs", rootfs, "--", "gcc"}, 127, "", "command not found in rootfs"},
		{"missing rootfs flag", []string{"sandbox", "run", "--", "true"}, 2, "", "--rootfs is required"},
		{"bad ulimit", []string{"sandbox", "run", "--rootfs", rootfs, "--ulimit", "nofile", "--", "true"}, 2, "", "want name=soft[:hard]"},
		{"bad env", []string{"sandbox", "run", "--rootfs", rootfs, "--env", "=x", "--", "true"}, 2, "", "want K=V"},
		{"no command", []string{"sandbox", "run", "--rootfs", rootfs}, 2, "", "want at least 1 argument"},
		{"help has an example", []string{"sandbox", "run", "--help"}, 0, "Examples:", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := run(tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tc.wantCode, stderr)
			}
			if tc.wantStdout != "" && !strings.Contains(stdout, tc.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", stdout, tc.wantStdout)
			}
			if tc.wantStderr != "" && !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.wantStderr)
			}
		})
	}
}

// TestCLIKilledThenRerun kills -9 a stevedore in the middle of a run; the
// build dies with it and the next stevedore removes what was left.
func TestCLIKilledThenRerun(t *testing.T) {
	requireRoot(t)
	bin := stevedoreBin(t)
	rootfs := sandboxtest.Busybox(t)
	state := filepath.Join(t.TempDir(), "state")
	cmd := exec.Command(bin, "sandbox", "run", "--state-dir", state, "--rootfs", rootfs, "--", "sh", "-c", "sleep 1000 & sleep 1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	waitFor(t, "the sandboxed sleeps", func() bool { return len(sandboxtest.ProcessesIn(rootfs)) >= 2 })
	ids := runDirs(t, state)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	waitFor(t, "the sandboxed processes to die with stevedore", func() bool { return len(sandboxtest.ProcessesIn(rootfs)) == 0 })
	if out, err := exec.Command(bin, "sandbox", "run", "--state-dir", state, "--rootfs", rootfs, "--", "true").CombinedOutput(); err != nil {
		t.Fatalf("rerun: %v: %s", err, out)
	}
	if left := runDirs(t, state); len(left) != 0 {
		t.Errorf("state after the rerun = %q, want empty", left)
	}
	for _, id := range ids {
		if cg := runCgroups(id); len(cg) != 0 {
			t.Errorf("cgroups of the killed run after the rerun: %q", cg)
		}
	}
	if got := strings.Join(sandboxtest.List(t, rootfs), " "); got != "bin dev linuxrc proc sbin sys usr" {
		t.Errorf("rootfs after the rerun = %q, want the killed run's stubs gone", got)
	}
	if m := sandboxtest.MountsUnder(t, rootfs); len(m) != 0 {
		t.Errorf("still mounted under the rootfs: %q", m)
	}
}
