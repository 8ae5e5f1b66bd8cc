package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/digests"
)

func init() { register(newVerifyCmd) }

// verifyOptions are the flags of `stevedore verify`.
type verifyOptions struct {
	Signatures bool
	Rebuild    bool
	build      buildOptions
	sig        signatureFlags
}

func newVerifyCmd(g *globalOptions) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [TARGET...]",
		Short: "Check built targets against digests/<stage>.txt (and, optionally, their signatures)",
		Long: `verify compares the image manifest digest of each out/<target>/ with the line
recorded in digests/<stage>.txt and lists every mismatch, unrecorded target,
unbuilt target and unreadable layout. With no TARGET, every target recorded
in digests/ or built in out/.

With --rebuild it first builds the targets (and their dependencies) from
the recipes and verified sources, so the comparison is of a fresh rebuild:
the auditor's check that a release is reproducible.

With --signatures it also requires, for each target, valid signatures by at
least --quorum distinct keys of --keyring (see verify-signatures).

Exit status: 0 when everything matches, 1 otherwise, 2 on usage errors.`,
		Example: `  stevedore --tree ~/stagex verify
  stevedore --tree ~/stagex verify core-gcc
  stevedore --tree ~/stagex verify --rebuild core-gcc
  stevedore --tree ~/stagex verify --signatures --keyring keys/ --quorum 2 core-gcc`,
		Args: argsRange(0, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTargetArgs(args); err != nil {
				return err
			}
			for _, f := range []string{"keyring", "quorum", "registry", "signatures-dir"} {
				if !o.Signatures && cmd.Flags().Changed(f) {
					return usageErrorf("verify: --%s needs --signatures", f)
				}
			}
			if o.Rebuild {
				// The whole command runs again where the build must run
				// (a user namespace, a private mount namespace), once.
				if rootless() {
					return reexecRootless(cmd)
				}
				if again, err := reexecPrivateMounts(cmd); again {
					return err
				}
				if err := runBuild(cmd, g, &o.build, args); err != nil {
					return err
				}
			}
			rep, err := digests.Verify(g.Tree, args)
			if err != nil {
				return err
			}
			rep.Write(cmd.OutOrStdout())
			ok := rep.OK()
			if o.Signatures {
				targets := make([]string, 0, len(rep.Checks))
				for _, c := range rep.Checks {
					targets = append(targets, c.Target)
				}
				sigOK, err := o.sig.run(cmd, g, targets, time.Now())
				if err != nil {
					return err
				}
				ok = ok && sigOK
			}
			if !ok {
				return silentExit(exitFailure)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Rebuild, "rebuild", false, "build the targets first, then compare")
	o.build = *newBuildOptions()
	o.build.Platform = "linux/amd64"
	o.build.Progress = "plain"
	cmd.Flags().BoolVar(&o.Signatures, "signatures", false, "also verify signatures against --keyring with --quorum")
	o.sig.register(cmd, "signatures-dir")
	return cmd
}
