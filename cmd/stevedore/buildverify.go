package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

// verifyDigest is --verify: nothing to do when want is empty or equal to
// got; otherwise it explains the mismatch and ends with exit code 1.
func verifyDigest(cmd *cobra.Command, want, got, file string) error {
	if want == "" || want == got {
		if want != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "verified: %s\n", got)
		}
		return nil
	}
	w := cmd.ErrOrStderr()
	fmt.Fprintf(w, "%s: images differ\n", file)
	fmt.Fprintf(w, "  manifest digest: want %s\n", want)
	fmt.Fprintf(w, "                   got  %s\n", got)
	fmt.Fprintf(w, "  write both images (--output type=oci,tar=false,...) and run stevedore diff WANT GOT to see the first difference at each level\n")
	return silentExit(exitFailure)
}
