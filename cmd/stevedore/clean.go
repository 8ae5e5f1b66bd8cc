package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

func init() { register(newCleanCmd) }

func newCleanCmd(g *globalOptions) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "clean",
		Short: "Remove stevedore's caches and scratch space under the tree",
		Long: `clean removes <tree>/.stevedore/work and the build caches (.stevedore/cache);
with --all also the logs, recorded fetch steps and resolved base images
(everything under .stevedore). out/, fetch/ and digests/ are left alone.
Rootless, files there belong to subordinate ids, so clean runs in the same
user namespace as builds.`,
		Example: `  stevedore clean
  stevedore --tree ~/stagex clean --all`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if rootless() {
				return reexecRootless(cmd)
			}
			dirs := []string{"work", "cache"}
			if all {
				dirs = []string{"."}
			}
			for _, d := range dirs {
				p := filepath.Join(g.Tree, ".stevedore", d)
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
