package main

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/exchange/export"
)

func init() { register(newPushCmd) }

// pushOptions are the flags of `stevedore push`.
type pushOptions struct {
	Insecure bool
}

func newPushCmd(g *globalOptions) *cobra.Command {
	o := &pushOptions{}
	cmd := &cobra.Command{
		Use:   "push [--insecure] TARGET REF",
		Short: "Push a built target to a registry, keeping its digests",
		Long: `push sends out/<TARGET> to the registry reference REF (HOST[:PORT]/REPO[:TAG]
or @DIGEST; without either, the tag of out/<TARGET>) as it is: the image index with every platform's manifest,
config and layers, byte for byte, so the registry holds the same manifest
digest as digests/<stage>.txt. Every blob is re-hashed as it is read. It
prints the digest REF now points to (the image index) and the image
manifest digest.

Credentials come from the usual auth files: $DOCKER_CONFIG/config.json or
~/.docker/config.json, and the containers auth.json that podman login
writes ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json).
--insecure allows plain HTTP and unverified TLS (registries on 127.0.0.1
and localhost use HTTP anyway).`,
		Example: `  stevedore --tree ~/stagex push core-busybox registry.example.internal/stagex/core-busybox:latest
  stevedore --tree ~/stagex push --insecure core-busybox 10.0.0.5:5000/stagex/core-busybox   # tag: the target's own`,
		Args: argsRange(2, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTargetArgs(args[:1]); err != nil {
				return err
			}
			src, err := export.Open(g.Tree, args[0])
			if err != nil {
				return err
			}
			defer src.Close()
			p, err := src.Push(cmd.Context(), args[1], export.PushOptions{Keychain: authn.DefaultKeychain, Insecure: o.Insecure})
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "pushed %s@%s (image manifest %s)\n", p.Ref.Context(), p.Digest, p.Manifest)
			return nil
		},
	}
	cmd.Flags().BoolVar(&o.Insecure, "insecure", false, "allow plain HTTP and unverified TLS")
	return cmd
}
