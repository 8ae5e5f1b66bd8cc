package main

import (
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	// Tree is the root of the package tree (holds packages/, fetch/, out/, digests/).
	Tree string
}

// commandFactory builds one subcommand. Each command file registers its
// factory from an init function so that commands can be added without
// editing a central list.
type commandFactory func(g *globalOptions) *cobra.Command

var commandFactories []commandFactory

func register(f commandFactory) { commandFactories = append(commandFactories, f) }

func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:   "stevedore",
		Short: "Build StageX-style package trees into reproducible OCI images, without a daemon",
		Long: `stevedore reads a StageX-style package tree (packages/<stage>/<name>/{package.toml,Containerfile}),
fetches and verifies its sources, and builds OCI images byte-identical to BuildKit's.`,
		Example: `  stevedore --tree ~/stagex plan core-gcc
  stevedore --tree ~/stagex fetch --offline core`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			abs, err := filepath.Abs(g.Tree)
			if err != nil {
				return usageErrorf("--tree %s: %v", g.Tree, err)
			}
			g.Tree = abs
			return nil
		},
	}
	root.PersistentFlags().StringVar(&g.Tree, "tree", ".", "root of the package tree")
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%s: %v", cmd.CommandPath(), err)
	})
	root.CompletionOptions.DisableDefaultCmd = true
	var cmds []*cobra.Command
	for _, f := range commandFactories {
		cmds = append(cmds, f(g))
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name() < cmds[j].Name() })
	for _, c := range cmds {
		c.SetFlagErrorFunc(root.FlagErrorFunc())
		root.AddCommand(c)
	}
	return root
}

// exactArgs, minArgs wrap cobra's validators so that a wrong argument count
// is a usage error (exit 2).
func argsRange(min, max int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < min || (max >= 0 && len(args) > max) {
			if max < 0 {
				return usageErrorf("%s: want at least %d argument(s), got %d", cmd.CommandPath(), min, len(args))
			}
			if min == max {
				return usageErrorf("%s: want %d argument(s), got %d", cmd.CommandPath(), min, len(args))
			}
			return usageErrorf("%s: want %d to %d arguments, got %d", cmd.CommandPath(), min, max, len(args))
		}
		return nil
	}
}
