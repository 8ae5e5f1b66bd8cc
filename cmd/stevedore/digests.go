package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/digests"
)

func init() { register(newDigestsCmd) }

func newDigestsCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "digests [TARGET...]",
		Short: "Record the image manifest digests of built targets in digests/<stage>.txt",
		Long: `digests reads the image manifest digest of each out/<target>/ (index.json ->
image index -> manifest, every blob re-hashed) and writes it to
digests/<stage>.txt ("<64-hex digest> <stage>-<name>" lines sorted by name),
atomically, keeping the lines of targets not named. With no TARGET, every
target in out/ is recorded. A target's stage is the part of its name before
the first "-".`,
		Example: `  stevedore --tree ~/stagex digests
  stevedore --tree ~/stagex digests core-gcc user-foo-bar`,
		Args: argsRange(0, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTargetArgs(args); err != nil {
				return err
			}
			recs, err := digests.RecordTargets(g.Tree, args)
			if err != nil {
				return err
			}
			for _, r := range recs {
				stage, _ := digests.StageOf(r.Target)
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s -> digests/%s.txt\n", r.Digest.Hex, r.Target, stage)
			}
			if len(recs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no built targets in out/")
			}
			return nil
		},
	}
}

// checkTargetArgs rejects target names that are not <stage>-<name> as usage
// errors.
func checkTargetArgs(args []string) error {
	for _, a := range args {
		if _, err := digests.StageOf(a); err != nil {
			return usageErrorf("%v", err)
		}
	}
	return nil
}
