package main

import (
	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/digests/explain"
)

func init() { register(newDiffCmd) }

// diffOptions are the flags of `stevedore diff`.
type diffOptions struct {
	JSON           bool
	MaxDifferences int
}

func newDiffCmd(g *globalOptions) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff A B",
		Short: "Explain why two images differ, down to the tar entry and gzip stream",
		Long: `diff compares two images at every level: index.json, image index and manifest
(field by field), config (field by field, history entry by entry), the layer
list, and inside a differing layer each tar entry (name, type, mode, uid/gid,
size, mtime, link target, xattrs, PAX records, content, order), then the gzip
stream when the tars are equal. Every blob read is re-hashed.

An image is an OCI layout directory, oci:DIR[:TAG], oci-archive:FILE[:TAG],
docker-archive:FILE, or the name of a target built into <tree>/out/.

Exit status: 0 when identical, 1 when they differ (or on error), 2 on usage errors.`,
		Example: `  stevedore diff out/core-busybox /tmp/buildkit/core-busybox
  stevedore --tree ~/stagex diff core-busybox oci-archive:/tmp/core-busybox.tar
  stevedore diff --json oci:./a:latest docker-archive:b.tar`,
		Args: argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := explain.Refs(cmd.Context(), args[0], args[1], g.Tree,
				explain.Options{MaxDifferences: o.MaxDifferences})
			if err != nil {
				return err
			}
			if o.JSON {
				err = res.WriteJSON(cmd.OutOrStdout())
			} else {
				err = res.WriteText(cmd.OutOrStdout())
			}
			if err != nil {
				return err
			}
			if !res.Identical {
				return silentExit(exitFailure)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.JSON, "json", false, "print the result as JSON")
	cmd.Flags().IntVar(&o.MaxDifferences, "max", 1000, "report at most this many differences")
	return cmd
}
