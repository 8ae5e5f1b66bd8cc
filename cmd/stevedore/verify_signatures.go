package main

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/digests/signature"
)

func init() { register(newVerifySignaturesCmd) }

// signatureFlags are the flags shared by verify-signatures and
// verify --signatures.
type signatureFlags struct {
	Keyring  string
	Quorum   int
	Registry string
	Dir      string
}

func (s *signatureFlags) register(cmd *cobra.Command, dirFlag string) {
	cmd.Flags().StringVar(&s.Keyring, "keyring", "", "file of armored or binary public keys, or a folder of such files")
	cmd.Flags().IntVar(&s.Quorum, "quorum", 0, "number of distinct keys that must have signed each target")
	cmd.Flags().StringVar(&s.Registry, "registry", "stagex", "registry namespace the signatures name (first folder under signatures/)")
	cmd.Flags().StringVar(&s.Dir, dirFlag, "", "signatures folder (default <tree>/signatures)")
}

// run verifies the signatures of targets and prints one report per target.
func (s *signatureFlags) run(cmd *cobra.Command, g *globalOptions, targets []string, now time.Time) (bool, error) {
	if s.Keyring == "" || s.Quorum < 1 {
		return false, usageErrorf("%s: give --keyring PATH and --quorum N (N >= 1)", cmd.CommandPath())
	}
	kr, err := signature.ReadKeyring(s.Keyring)
	if err != nil {
		return false, err
	}
	reps, ok := signature.VerifyTargets(g.Tree, s.root(g), s.Registry, targets, kr, s.Quorum, now)
	for _, r := range reps {
		r.Write(cmd.OutOrStdout())
	}
	for _, u := range kr.Unbound {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: keyring subkey %016X (after key %s) ignored: %s\n", u.KeyID, u.Primary, u.Reason)
	}
	if kr.Skipped > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %d key(s) in %s could not be used (unsupported or invalid)\n", kr.Skipped, s.Keyring)
	}
	if len(reps) == 0 {
		fmt.Fprintln(cmd.OutOrStdout(), "no targets to verify")
		return false, nil
	}
	return ok, nil
}

func (s *signatureFlags) root(g *globalOptions) string {
	if s.Dir != "" {
		return s.Dir
	}
	return filepath.Join(g.Tree, "signatures")
}

func newVerifySignaturesCmd(g *globalOptions) *cobra.Command {
	s := &signatureFlags{}
	cmd := &cobra.Command{
		Use:   "verify-signatures --keyring PATH --quorum N [TARGET...]",
		Short: "Check that each target is signed by at least N distinct keys of a keyring",
		Long: `verify-signatures reads every file of
signatures/<registry>/<target>@sha256=<hex>/ and reports, for each, the signer's
fingerprint and whether it counts. A signature counts only if it is one binary
OpenPGP signed message over a valid payload naming the target's manifest digest
and the target's name, made by a keyring key (subkeys only when bound) that is
neither expired nor revoked, with no SHA-1 and no RSA key under 2048 bits, and
nothing after the message. Signatures by the same primary key count once.
Garbage files and gaps in the numbering are reported (Podman and Skopeo stop at
the first gap) and do not hide valid signatures. With no TARGET, every target
in out/.

Exit status: 0 when every target reaches the quorum, 1 otherwise.`,
		Example: `  stevedore --tree ~/stagex verify-signatures --keyring maintainers.asc --quorum 2 core-gcc
  stevedore verify-signatures --keyring keys/ --quorum 2 --signatures ~/stagex-signatures core-gcc`,
		Args: argsRange(0, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTargetArgs(args); err != nil {
				return err
			}
			targets := args
			if len(targets) == 0 {
				var err error
				if targets, err = digests.BuiltTargets(g.Tree); err != nil {
					return err
				}
			}
			ok, err := s.run(cmd, g, targets, time.Now())
			if err != nil {
				return err
			}
			if !ok {
				return silentExit(exitFailure)
			}
			return nil
		},
	}
	s.register(cmd, "signatures")
	return cmd
}
