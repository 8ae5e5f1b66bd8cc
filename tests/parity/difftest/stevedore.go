package difftest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"syscall"

	"github.com/stevedore-build/stevedore/recipes/plan"
)

// variant is how stevedore is run for one build of a tree.
type variant struct {
	// Umask and TZ are set in the environment of every command.
	Umask, TZ string
	// User, when set, runs the commands as that user (rootless) via su,
	// with TMPDIR set to Tmp (stevedore keeps its sandbox state there).
	User, Tmp string
}

var (
	primary = variant{Umask: "022", TZ: "UTC"}
	twin    = variant{Umask: "077", TZ: "Pacific/Chatham"}
)

// stevedore runs bin with args on tree in variant v; the error carries
// the output.
func (v variant) stevedore(ctx context.Context, bin, tree string, args ...string) (string, error) {
	quoted := make([]string, 0, len(args)+3)
	for _, a := range append([]string{bin, "--tree", tree}, args...) {
		quoted = append(quoted, shellQuote(a))
	}
	script := fmt.Sprintf("umask %s && TZ=%s exec %s", v.Umask, v.TZ, strings.Join(quoted, " "))
	if v.Tmp != "" {
		script = "TMPDIR=" + shellQuote(v.Tmp) + " && export TMPDIR && " + script
	}
	var cmd *exec.Cmd
	if v.User != "" {
		cmd = exec.CommandContext(ctx, "su", "-s", "/bin/sh", v.User, "-c", script)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", script)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("stevedore %s: %v\n%s%s", strings.Join(args, " "), err, stdout.String(), lastLines(stderr.String(), 30))
	}
	return stdout.String(), nil
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// fetch fills tree/fetch from tree/mirror.
func (v variant) fetch(ctx context.Context, bin, tree string) error {
	_, err := v.stevedore(ctx, bin, tree, "fetch", "--offline", "--mirror-dir", tree+"/mirror", "--progress=quiet")
	return err
}

// plan returns the targets of tree in build order, as `stevedore plan
// --json` prints them.
func (v variant) plan(ctx context.Context, bin, tree string) ([]plan.Entry, error) {
	out, err := v.stevedore(ctx, bin, tree, "plan", "--json")
	if err != nil {
		return nil, err
	}
	var entries []plan.Entry
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		return nil, fmt.Errorf("plan --json: %v", err)
	}
	return entries, nil
}
