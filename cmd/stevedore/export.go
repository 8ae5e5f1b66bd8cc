package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/exchange/export"
)

func init() { register(newExportCmd) }

// exportOptions are the flags of `stevedore export`.
type exportOptions struct {
	Format string
	Output string
}

// exportFormats maps --format to the writer of that form.
var exportFormats = map[string]func(*export.Source, string) error{
	"oci-archive":    (*export.Source).WriteOCIArchive,
	"oci-dir":        (*export.Source).WriteOCIDir,
	"docker-archive": (*export.Source).WriteDockerArchive,
}

func newExportCmd(g *globalOptions) *cobra.Command {
	o := &exportOptions{}
	cmd := &cobra.Command{
		Use:   "export --format FORMAT -o PATH TARGET",
		Short: "Write a built target as an OCI archive, OCI directory or docker archive",
		Long: `export writes out/<TARGET> in a form other tools load:

  oci-archive     a tar of an OCI layout: podman load -i, skopeo oci-archive:PATH
  oci-dir         an OCI layout directory: skopeo oci:PATH, podman load -i
  docker-archive  a docker save archive: docker load -i, podman load -i

The image is named stagex/<TARGET>:<tag> (tag: index.json's ref name, else
latest). The OCI forms copy every blob byte for byte, so the image manifest
digest is the one in digests/<stage>.txt; only index.json is rewritten to
carry the name. A docker archive has Docker's manifest.json instead of the
OCI manifest (same config and layers). Every blob is re-hashed while it is
copied; the output is written to a temp path and renamed, so it is complete
or absent. An existing oci-dir PATH is replaced only if it is an OCI layout.`,
		Example: `  stevedore --tree ~/stagex export --format oci-archive -o core-busybox.tar core-busybox
  podman load -i core-busybox.tar && podman run --rm stagex/core-busybox:latest busybox true
  stevedore --tree ~/stagex export --format docker-archive -o busybox.docker.tar core-busybox
  stevedore --tree ~/stagex export --format oci-dir -o /tmp/core-busybox core-busybox`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			write, ok := exportFormats[o.Format]
			if !ok {
				return usageErrorf("export: --format %q: want oci-archive, docker-archive or oci-dir", o.Format)
			}
			if o.Output == "" {
				return usageErrorf("export: -o PATH is required")
			}
			if err := checkTargetArgs(args); err != nil {
				return err
			}
			src, err := export.Open(g.Tree, args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			if err := write(src, o.Output); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s -> %s (%s)\n", src.Manifest, src.Name(), o.Output, o.Format)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Format, "format", "oci-archive", "oci-archive, docker-archive or oci-dir")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "file (archives) or directory (oci-dir) to write")
	return cmd
}
