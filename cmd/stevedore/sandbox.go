package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/sandbox"
)

func init() { register(newSandboxCmd) }

// sandboxRunOptions are the flags of "stevedore sandbox run".
type sandboxRunOptions struct {
	Rootfs   string
	Env      []string
	Cwd      string
	User     string
	Ulimits  []string
	StateDir string
}

// defaultStateDir is where run state lives unless --state-dir or
// STEVEDORE_STATE_DIR say otherwise; /run is a tmpfs on most hosts, so a
// reboot clears what a crash left (the next run sweeps it anyway).
const defaultStateDir = "/run/stevedore/sandbox"

func newSandboxCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "sandbox",
		Short:   "Run processes in a BuildKit-identical RUN sandbox",
		Example: `  stevedore sandbox run --rootfs ./rootfs -- /bin/sh -c 'cat /etc/hosts'`,
	}
	cmd.AddCommand(newSandboxRunCmd())
	return cmd
}

func newSandboxRunCmd() *cobra.Command {
	o := &sandboxRunOptions{}
	cmd := &cobra.Command{
		Use:   "run --rootfs DIR [flags] -- CMD [ARG...]",
		Short: "Run one command in a rootfs directory, isolated as a BuildKit RUN step",
		Long: `Run one command in a root filesystem directory with exactly the view a Dockerfile RUN
step has under BuildKit: hostname buildkitsandbox, its /etc/hosts and /etc/resolv.conf,
a network namespace with only loopback, Docker's default capabilities and seccomp
profile, umask 0022. Files the command writes land in the rootfs directory.
The exit status is the command's. Needs root.`,
		Example: `  # What a StageX RUN step sees:
  stevedore sandbox run --rootfs ./rootfs --ulimit nofile=2048:16384 -- /bin/sh -c 'ulimit -n; hostname'
  # As a user from the rootfs's /etc/passwd, in /src:
  stevedore sandbox run --rootfs ./rootfs --user build --cwd /src --env MAKEFLAGS=-j2 -- make`,
		Args: argsRange(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandbox(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Rootfs, "rootfs", "", "root filesystem directory (required)")
	f.StringArrayVar(&o.Env, "env", nil, "environment variable K=V (repeatable); PATH defaults to BuildKit's")
	f.StringVar(&o.Cwd, "cwd", "/", "working directory inside the rootfs (created if missing)")
	f.StringVar(&o.User, "user", "", "uid[:gid] or name[:group] from the rootfs's /etc/passwd (default root)")
	f.StringArrayVar(&o.Ulimits, "ulimit", nil, "resource limit name=soft[:hard], e.g. nofile=2048:16384 (repeatable)")
	f.StringVar(&o.StateDir, "state-dir", "", "directory for sandbox state (default $STEVEDORE_STATE_DIR or "+defaultStateDir+")")
	return cmd
}

func runSandbox(cmd *cobra.Command, o *sandboxRunOptions, args []string) error {
	if o.Rootfs == "" {
		return usageErrorf("%s: --rootfs is required", cmd.CommandPath())
	}
	spec := sandbox.Spec{
		Rootfs: o.Rootfs, Args: args, Env: o.Env, Cwd: o.Cwd, User: o.User,
		Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr(),
	}
	for _, u := range o.Ulimits {
		r, err := sandbox.ParseRlimit(u)
		if err != nil {
			return usageErrorf("--ulimit: %v", err)
		}
		spec.Rlimits = append(spec.Rlimits, r)
	}
	for _, kv := range o.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return usageErrorf("--env %q: want K=V", kv)
		}
	}
	runner, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: sandboxStateDir(o.StateDir)})
	if err != nil {
		return err
	}
	res, err := runner.Run(cmd.Context(), spec)
	switch {
	case errors.Is(err, sandbox.ErrCommandNotFound):
		return &exitError{code: 127, err: err} // as a shell reports it
	case errors.Is(err, context.Canceled):
		return &exitError{code: 130, err: err} // interrupted: killed, cleaned up
	}
	if err != nil {
		return err
	}
	return silentExit(res.ExitCode)
}

// sandboxStateDir picks the state directory: flag, then environment, then
// the default.
func sandboxStateDir(flag string) string {
	if flag != "" {
		return flag
	}
	if env := os.Getenv("STEVEDORE_STATE_DIR"); env != "" {
		return filepath.Clean(env)
	}
	return defaultStateDir
}
