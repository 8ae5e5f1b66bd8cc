package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/digests/policy"
	"github.com/stevedore-build/stevedore/digests/signature"
)

func init() { register(newPolicyCmd) }

// policyOptions are the flags of `stevedore policy`.
type policyOptions struct {
	policy.Options
	KeyringPath string
}

func newPolicyCmd(g *globalOptions) *cobra.Command {
	o := &policyOptions{}
	cmd := &cobra.Command{
		Use:   "policy --keyring PATH --lookaside URL -o DIR",
		Short: "Write a Podman/Skopeo policy.json and registries.d file requiring the keyring's signatures",
		Long: `policy writes DIR/policy.json (default: reject; for --scope, one signedBy
GPGKeys requirement per key of --keyring, all of which must be met),
DIR/keys/<fingerprint>.gpg (one public key per requirement) and
DIR/registries.d/stevedore.yaml (the signature lookaside for --scope).
When --scope differs from the signed --registry namespace (a mirror), the
requirements remap the identity from the scope to the registry namespace.

Podman and Skopeo cannot express "any M of these N keys": a signedBy entry is
met by any one valid signature from its keyring, and entries are ANDed. The
quorum check is stevedore verify-signatures.

Use with: skopeo --policy DIR/policy.json --registries.d DIR/registries.d ...
or podman --signature-policy DIR/policy.json (registries.d files go in
$HOME/.config/containers/registries.d or /etc/containers/registries.d).`,
		Example: `  stevedore policy --keyring maintainers.asc --lookaside file:///srv/stagex/signatures \
      --scope 127.0.0.1:5000/stagex -o /etc/stevedore-policy`,
		Args: argsRange(0, 0),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.KeyringPath == "" || o.Lookaside == "" || o.Dir == "" {
				return usageErrorf("policy: give --keyring, --lookaside and -o")
			}
			kr, err := signature.ReadKeyring(o.KeyringPath)
			if err != nil {
				return err
			}
			o.Keyring = kr
			res, err := policy.Write(o.Options)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d key(s), all required)\nwrote %s\n", res.Policy, len(res.Keys), res.Registries)
			fmt.Fprintln(cmd.OutOrStdout(), "note: policy.json cannot require M of N keys; check quorums with stevedore verify-signatures")
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.KeyringPath, "keyring", "", "file of public keys, or a folder of such files")
	f.StringVar(&o.Lookaside, "lookaside", "", "URL of the signatures folder, e.g. file:///srv/stagex/signatures")
	f.StringVar(&o.Scope, "scope", "", "registry namespace images are pulled from (default: --registry)")
	f.StringVar(&o.Registry, "registry", "stagex", "registry namespace the signatures name")
	f.StringVarP(&o.Dir, "output", "o", "", "output folder")
	return cmd
}
