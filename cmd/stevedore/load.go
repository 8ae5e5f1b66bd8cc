package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/exchange/containerd"
	"github.com/stevedore-build/stevedore/exchange/export"
)

func init() { register(newLoadCmd) }

// loadOptions are the flags of `stevedore load`.
type loadOptions struct {
	Containerd string
	Namespace  string
}

func newLoadCmd(g *globalOptions) *cobra.Command {
	o := &loadOptions{}
	cmd := &cobra.Command{
		Use:   "load --containerd SOCKET [--namespace NS] TARGET",
		Short: "Import a built target into a running containerd's image store",
		Long: `load imports out/<TARGET> into the containerd listening on SOCKET, in
namespace NS (default "default"; Kubernetes nodes use "k8s.io"), through
containerd's client. The image is named stagex/<TARGET>:<tag> exactly (tag:
index.json's ref name, else latest): containerd adds no registry host, so use
that full name or the digest with ctr and nerdctl. The image points to the
image index of out/<TARGET>, every platform included; its manifest is the
digest in digests/<stage>.txt. Every blob is re-hashed while it is sent.`,
		Example: `  stevedore --tree ~/stagex load --containerd /run/containerd/containerd.sock core-busybox
  stevedore --tree ~/stagex load --containerd /run/containerd/containerd.sock --namespace k8s.io core-busybox
  ctr -n k8s.io images ls name==stagex/core-busybox:latest`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Containerd == "" {
				return usageErrorf("load: --containerd SOCKET is required")
			}
			if err := checkTargetArgs(args); err != nil {
				return err
			}
			src, err := export.Open(g.Tree, args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			imgs, err := containerd.Load(cmd.Context(), src, containerd.Options{Address: o.Containerd, Namespace: o.Namespace})
			if err != nil {
				return err
			}
			for _, im := range imgs {
				fmt.Fprintf(cmd.OutOrStdout(), "loaded %s@%s (image manifest %s)\n", im.Name, im.Digest, src.Manifest)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&o.Containerd, "containerd", "", "containerd's gRPC socket")
	cmd.Flags().StringVar(&o.Namespace, "namespace", "default", "containerd namespace")
	return cmd
}
