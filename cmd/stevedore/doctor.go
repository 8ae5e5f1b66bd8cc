package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/sandbox/hostcheck"
)

func init() { register(newDoctorCmd) }

func newDoctorCmd(g *globalOptions) *cobra.Command {
	var workDir string
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check that this host can run a build, and say how to fix what is missing",
		Long: `doctor checks everything a build needs, one line per check: privileges,
kernel namespaces, user namespaces, overlayfs, cgroups, the nofile hard limit
StageX's builds set (16384), free disk under the tree and the work directory,
and what rootless use needs (subordinate uid/gid ranges, newuidmap/newgidmap).
Exit status 0 when a build can run, 1 otherwise.`,
		Example: `  stevedore doctor
  sudo stevedore --tree ~/stagex doctor`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			var lim syscall.Rlimit
			if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
				return fmt.Errorf("read nofile limit: %w", err)
			}
			name := ""
			if u, err := user.Current(); err == nil {
				name = u.Username
			}
			if workDir == "" {
				workDir = filepath.Join(g.Tree, ".stevedore", "work")
			}
			slirp, _ := exec.LookPath("slirp4netns")
			checks := hostcheck.Run(hostcheck.Input{
				UID: os.Geteuid(), User: name, NofileHard: lim.Max, NeedNofile: 16384,
				Dirs: []string{g.Tree, workDir}, MinFreeGiB: 5, Slirp4netns: slirp,
			})
			for _, c := range checks {
				fmt.Fprintln(cmd.OutOrStdout(), c)
			}
			if !hostcheck.OK(checks) {
				return silentExit(exitFailure)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&workDir, "work-dir", "", "work directory builds will use (default <tree>/.stevedore/work)")
	return cmd
}
