package exchange

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestCLIErrors: command-line mistakes exit 2, a target that is not built
// or a missing file exits 1, each with a message saying what to do. Fast:
// it needs only the binary, no build.
func TestCLIErrors(t *testing.T) {
	bin, err := stevedore()
	if err != nil {
		t.Fatal(err)
	}
	tree := t.TempDir()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "core-box"}, 2, "-o PATH is required"},
		{[]string{"export", "--format", "tar", "-o", "x", "core-box"}, 2, `--format "tar"`},
		{[]string{"export", "-o", "x", "core-a", "core-b"}, 2, "want 1 argument"},
		{[]string{"export", "-o", "x", "nostage"}, 2, "nostage"},
		{[]string{"export", "-o", "x", "core-box"}, 1, "is the target built?"},
		{[]string{"push", "core-box"}, 2, "want 2 argument"},
		{[]string{"push", "core-box", "127.0.0.1:1/stagex/core-box:latest"}, 1, "is the target built?"},
		{[]string{"load", "core-box"}, 2, "--containerd SOCKET is required"},
		{[]string{"bundle", "core-box"}, 2, "-o FILE is required"},
		{[]string{"unbundle"}, 2, "want 1 argument"},
		{[]string{"unbundle", "/nonexistent/x.bundle"}, 1, "no packages/ directory"}, // recipes are checked first
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := exec.Command(bin, append([]string{"--tree", tree}, tc.args...)...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.code {
				t.Fatalf("exit %v, want %d\n%s", err, tc.code, out)
			}
			if !strings.Contains(string(out), tc.want) {
				t.Errorf("output %q, want it to contain %q", out, tc.want)
			}
		})
	}
}

// TestHelpHasExamples: every command of this suite documents an example.
func TestHelpHasExamples(t *testing.T) {
	bin, err := stevedore()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"export", "push", "load", "bundle", "unbundle"} {
		out, err := exec.Command(bin, c, "--help").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Examples:\n  stevedore") {
			t.Errorf("stevedore %s --help: %v\n%s", c, err, out)
		}
	}
}
