package sandbox_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/sandbox"
	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
)

// probeRun is the RUN command of the parity recipe, run verbatim in both.
const probeRun = "mkdir /out && /bin/sh /probe.sh > /out/probe.txt 2>&1"

// parityDockerfile builds the busybox rootfs as StageX's first stages do
// and runs the probe with StageX's flags (--ulimit comes from buildctl).
const parityDockerfile = `FROM scratch AS base
COPY busybox /bin/busybox
RUN ["/bin/busybox", "mkdir", "-p", "/usr/bin", "/sbin", "/usr/sbin"]
RUN ["/bin/busybox", "--install", "-s"]
FROM base AS probe
COPY probe.sh /probe.sh
RUN --network=none ` + probeRun + "\n"

// TestBuildKitParity runs the probe under BuildKit v0.34.2 (through
// tests/parity/buildkit.sh) and in the sandbox, and compares what the
// process saw and what the RUN left in the rootfs. With STEVEDORE_SLOW=1 a
// BuildKit that cannot be built or started fails the test.
func TestBuildKitParity(t *testing.T) {
	if os.Getenv("STEVEDORE_SLOW") == "" {
		t.Skip("slow: set STEVEDORE_SLOW=1 to compare with BuildKit v0.34.2")
	}
	if os.Geteuid() != 0 {
		t.Fatal("STEVEDORE_SLOW=1: the BuildKit parity test needs root")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	bkRootfs := buildKitProbe(ctx, t)

	r := newRunner(t)
	rootfs := sandboxtest.Busybox(t)
	sandboxtest.WriteFile(t, rootfs, "probe.sh", sandboxtest.ProbeScript, 0o644)
	out := sandboxtest.RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/sh", "-c", probeRun},
		Rlimits: sandboxtest.StageXRlimits})
	if out.Result.ExitCode != 0 {
		t.Fatalf("probe in the sandbox: exit %d: %s", out.Result.ExitCode, out.Stderr)
	}

	want := readProbe(t, bkRootfs)
	got := readProbe(t, rootfs)
	for name := range want {
		if diff := cmp.Diff(want[name], got[name]); diff != "" {
			t.Errorf("probe section %q: BuildKit (-) vs sandbox (+):\n%s", name, diff)
		}
	}
	t.Logf("BuildKit's probe (normalized): %q", want)
	for _, dir := range []string{".", "dev", "proc", "sys"} {
		if diff := cmp.Diff(listModes(t, bkRootfs, dir), listModes(t, rootfs, dir)); diff != "" {
			t.Errorf("rootfs /%s after the RUN: BuildKit (-) vs sandbox (+):\n%s", dir, diff)
		}
	}
}

func readProbe(t *testing.T, rootfs string) sandboxtest.Probe {
	b, err := os.ReadFile(filepath.Join(rootfs, "out/probe.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return sandboxtest.ParseProbe(string(b)).Normalize()
}

// listModes lists dir's entries with their type and permissions.
func listModes(t *testing.T, rootfs, dir string) []string {
	var out []string
	for _, name := range sandboxtest.List(t, filepath.Join(rootfs, dir)) {
		fi, err := os.Lstat(filepath.Join(rootfs, dir, name))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, name+" "+fi.Mode().String())
	}
	return out
}

// buildKitProbe builds the parity recipe's probe stage with BuildKit and
// returns the exported rootfs.
func buildKitProbe(ctx context.Context, t *testing.T) string {
	script := buildkitScript(t)
	bin := lastLine(mustRun(ctx, t, script, "ensure"))
	work := filepath.Join(t.TempDir(), "bk")
	addr, ok := strings.CutPrefix(lastLine(mustRun(ctx, t, script, "start", work)), "BUILDKIT_HOST=")
	if !ok {
		t.Fatalf("buildkit.sh start printed no BUILDKIT_HOST")
	}
	t.Cleanup(func() { mustRun(context.Background(), t, script, "stop", work) })

	dir := t.TempDir()
	bb, err := os.ReadFile(sandboxtest.BusyboxPath)
	if err != nil {
		t.Fatal(err)
	}
	sandboxtest.WriteFile(t, dir, "busybox", string(bb), 0o755)
	sandboxtest.WriteFile(t, dir, "probe.sh", sandboxtest.ProbeScript, 0o644)
	sandboxtest.WriteFile(t, dir, "Dockerfile", parityDockerfile, 0o644)
	dest := filepath.Join(t.TempDir(), "probe")
	mustRun(ctx, t, filepath.Join(bin, "buildctl"), "--addr", addr, "build", "--frontend", "dockerfile.v0",
		"--local", "context="+dir, "--local", "dockerfile="+dir, "--opt", "target=probe",
		"--opt", "ulimit=nofile=2048:16384", "--opt", "build-arg:SOURCE_DATE_EPOCH=1",
		"--output", "type=local,dest="+dest)
	return dest
}

func buildkitScript(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "tests", "parity", "buildkit.sh")
	if _, err := os.Stat(script); err != nil {
		t.Fatalf("STEVEDORE_SLOW=1 but the BuildKit reference script is missing: %v", err)
	}
	return script
}

func mustRun(ctx context.Context, t *testing.T, name string, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(stdout.String())
}

func lastLine(s string) string {
	return s[strings.LastIndexByte(s, '\n')+1:]
}
