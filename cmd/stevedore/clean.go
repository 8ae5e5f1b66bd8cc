package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/internal/lock"
)

func init() { register(newCleanCmd) }

func newCleanCmd(g *globalOptions) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove stevedore's caches and scratch space under the tree",
		Long: `clean removes <tree>/.stevedore/work and the build caches (.stevedore/cache);
with --all also the logs, recorded fetch steps and resolved base images
(everything under .stevedore but its lock file). out/, fetch/ and digests/
are left alone. It waits for builds running on the tree to finish (they hold
the tree lock, .stevedore/lock) and first unmounts anything a build killed
before stevedore kept its mounts private left mounted there.
Rootless, files there belong to subordinate ids, so clean runs in the same
user namespace as builds.`,
		Example: `  stevedore clean
  stevedore --tree ~/stagex clean --all`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rootless() {
				return reexecRootless(cmd)
			}
			tl, err := lockTree(cmd, g.Tree, lock.Exclusive)
			if err != nil {
				return err
			}
			defer tl.Release()
			state := filepath.Join(g.Tree, ".stevedore")
			dirs := []string{"work", "cache"}
			if all {
				entries, err := os.ReadDir(state)
				if err != nil && !os.IsNotExist(err) {
					return fmt.Errorf("clean %s: %w", state, err)
				}
				dirs = nil
				for _, e := range entries {
					// The lock file stays: a build waiting for it holds it open.
					if e.Name() != filepath.Base(treeLockFile) {
						dirs = append(dirs, e.Name())
					}
				}
			}
			for _, d := range dirs {
				p := filepath.Join(state, d)
				if err := lock.UnmountUnder(p); err != nil {
					return fmt.Errorf("clean %s: %w (unmount it by hand: umount -R %s)", p, err, p)
				}
				if err := os.RemoveAll(p); err != nil {
					return fmt.Errorf("clean %s: %w", p, err)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove everything under .stevedore")
	return cmd
}
