package sandboxtest

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/sandbox"
)

// Factory returns a Runner for one test; it may register cleanups on t.
type Factory func(t *testing.T) sandbox.Runner

// StageXRlimits are the limits StageX passes to every build.
var StageXRlimits = []sandbox.Rlimit{{Name: "nofile", Soft: 2048, Hard: 16384}}

// Run runs the conformance suite against the runners newRunner returns.
func Run(t *testing.T, newRunner Factory) {
	tests := []struct {
		name string
		fn   func(*testing.T, Factory)
	}{
		{"Probe", testProbe},
		{"ExitStatus", testExitStatus},
		{"Streams", testStreams},
		{"WritesLandInRootfs", testWrites},
		{"MountStubs", testMountStubs},
		{"EtcFilesDoNotLeak", testEtcFiles},
		{"Network", testNetwork},
		{"User", testUser},
		{"Cwd", testCwd},
		{"Env", testEnv},
		{"Cancel", testCancel},
		{"BadInput", testBadInput},
		{"Concurrent", testConcurrent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newRunner) })
	}
}

// Output is the result of RunScript.
type Output struct {
	Stdout, Stderr string
	Result         sandbox.Result
}

// RunScript runs `/bin/sh -c script` in rootfs with StageX's rlimits and
// fails the test when the sandbox (not the script) fails.
func RunScript(t testing.TB, r sandbox.Runner, rootfs, script string) Output {
	t.Helper()
	return RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/sh", "-c", script}, Rlimits: StageXRlimits})
}

// RunSpec runs spec, capturing its output, and fails the test on a sandbox
// error. It also checks that nothing stays mounted under the rootfs.
func RunSpec(t testing.TB, r sandbox.Runner, spec sandbox.Spec) Output {
	t.Helper()
	var stdout, stderr bytes.Buffer
	spec.Stdout, spec.Stderr = &stdout, &stderr
	res, err := r.Run(context.Background(), spec)
	if err != nil {
		t.Fatalf("Run(%q): %v (stderr: %s)", spec.Args, err, stderr.String())
	}
	if m := MountsUnder(t, spec.Rootfs); len(m) != 0 {
		t.Errorf("after Run, still mounted under the rootfs: %q", m)
	}
	return Output{Stdout: stdout.String(), Stderr: stderr.String(), Result: res}
}

func testProbe(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	out := RunScript(t, r, rootfs, ProbeScript)
	if out.Result.ExitCode != 0 || out.Stderr != "" {
		t.Fatalf("probe: exit %d, stderr %q", out.Result.ExitCode, out.Stderr)
	}
	got := ParseProbe(out.Stdout).Normalize()
	for name, want := range Expected() {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(want, got[name]); diff != "" {
				t.Errorf("probe section %q differs from BuildKit's (-want +got):\n%s", name, diff)
			}
		})
	}
	if raw := ParseProbe(out.Stdout)["cgroup"]; !CgroupsPrivate(raw) {
		t.Errorf("/proc/self/cgroup = %q, want every path \"/\" (a private cgroup namespace)", raw)
	}
	for _, name := range HostSections {
		if got[name] == "" {
			t.Errorf("probe section %q is empty", name)
		}
	}
	if !strings.HasPrefix(got["resolv.conf"], "nameserver ") && !strings.Contains(got["resolv.conf"], "\nnameserver ") {
		t.Errorf("resolv.conf has no nameserver: %q", got["resolv.conf"])
	}
}

func testExitStatus(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	for _, tc := range []struct {
		script string
		want   int
	}{
		{"true", 0},
		{"exit 3", 3},
		{"exit 255", 255},
		{"sh -c 'kill -9 $$'; exit $?", 137},
	} {
		t.Run(tc.script, func(t *testing.T) {
			if got := RunScript(t, r, rootfs, tc.script).Result.ExitCode; got != tc.want {
				t.Errorf("exit status of %q = %d, want %d", tc.script, got, tc.want)
			}
		})
	}
}

func testStreams(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	out := RunScript(t, r, rootfs, "echo out; echo err >&2; cat; echo stdin-closed")
	if got, want := out.Stdout, "out\nstdin-closed\n"; got != want {
		t.Errorf("stdout = %q, want %q", got, want)
	}
	if got, want := out.Stderr, "err\n"; got != want {
		t.Errorf("stderr = %q, want %q", got, want)
	}
}
