package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/plan"
)

type planOptions struct {
	JSON     bool
	Platform string
}

func init() { register(newPlanCmd) }

func newPlanCmd(g *globalOptions) *cobra.Command {
	o := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan [TARGET...]",
		Short: "Show the targets to build and their dependencies, in build order",
		Long: `plan loads and validates the package tree and prints the selected targets with
everything they depend on, in the order they would be built. TARGET is
<stage>-<name>, a bare <name> when only one stage has it, a stage name (all of
its targets) or "all" (the default). Every problem of the tree is reported at
once, each with its file and line.`,
		Example: `  stevedore plan                      # the whole tree
  stevedore plan core-gcc             # gcc and everything it needs
  stevedore --tree ~/stagex plan --json bootstrap | jq '.[].target'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPlan(cmd.OutOrStdout(), cmd.ErrOrStderr(), g, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print a JSON array of targets in build order")
	cmd.Flags().StringVar(&o.Platform, "platform", recipes.DefaultPlatform, "platform of packages that set none")
	return cmd
}

func runPlan(stdout, stderr io.Writer, g *globalOptions, o *planOptions, args []string) error {
	tree, ordered, err := loadPlan(stderr, g, o.Platform, args)
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(plan.Entries(ordered, o.Platform))
	}
	for _, tg := range ordered {
		version := tg.Version
		if version == "" {
			version = "-"
		}
		line := fmt.Sprintf("%s %s", tg.Name, version)
		if tg.StageTarget != "" {
			line += " (stage " + tg.StageTarget + " of " + tg.Origin.ContainerfilePath + ")"
		}
		if len(tg.Deps) > 0 {
			line += " <- " + strings.Join(tg.Deps, " ")
		}
		fmt.Fprintln(stdout, line)
	}
	fmt.Fprintf(stderr, "%d targets of %s\n", len(ordered), tree.Root)
	return nil
}

// loadPlan loads the tree, prints its warnings and orders the selected
// targets with their dependencies.
func loadPlan(stderr io.Writer, g *globalOptions, platform string, args []string) (*recipes.Tree, []*recipes.Target, error) {
	tree, err := recipes.Load(g.Tree, recipes.Options{Platform: platform})
	if err != nil {
		return nil, nil, err
	}
	for _, w := range tree.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	selected, err := plan.Select(tree, args)
	if err != nil {
		return nil, nil, err
	}
	ordered, err := plan.Order(tree, selected)
	if err != nil {
		return nil, nil, err
	}
	return tree, ordered, nil
}

// isTerminal reports whether f is a character device (a terminal).
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
