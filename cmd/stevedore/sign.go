package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/stevedore-build/stevedore/digests/signature"
)

func init() { register(newSignCmd) }

// passphraseEnv holds the passphrase of --key when neither a terminal nor
// --passphrase-file gives it.
const passphraseEnv = "STEVEDORE_PASSPHRASE"

// signOptions are the flags of `stevedore sign`.
type signOptions struct {
	Key            string
	PassphraseFile string
	GPG            string
	LocalUser      string
	Registry       string
	Dir            string
}

func newSignCmd(g *globalOptions) *cobra.Command {
	o := &signOptions{}
	cmd := &cobra.Command{
		Use:   "sign (--key FILE | --gpg [PROGRAM]) TARGET...",
		Short: "Sign built targets as StageX does (binary OpenPGP signed message)",
		Long: `sign writes, for each TARGET, the containers/image payload
  {"critical":{"identity":{"docker-reference":"<registry>/<target>:<tag>"},
   "image":{"docker-manifest-digest":"sha256:<hex>"},"type":"atomic container signature"},"optional":{}}
(one line, no spaces; tag from out/<target>/index.json's ref.name annotation, else
latest) signed as a binary OpenPGP signed message, to
signatures/<registry>/<target>@sha256=<hex>/signature-<N> with the next free N.
If the key already signed that digest, nothing is written.

--key takes an armored or binary secret key file; its primary key signs when it
may, else its signing subkey. An encrypted key's passphrase is read from
--passphrase-file, else from $` + passphraseEnv + `, else prompted on the terminal.
--gpg delegates signing to gpg (or a compatible PROGRAM) with --local-user.`,
		Example: `  stevedore --tree ~/stagex sign --key ~/alice.sec.asc core-gcc
  stevedore --tree ~/stagex sign --gpg --local-user alice@example.org core-gcc core-zlib
  stevedore sign --key alice.gpg --passphrase-file pw --signatures ~/stagex-signatures core-gcc`,
		Args: argsRange(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkTargetArgs(args); err != nil {
				return err
			}
			signer, err := o.signer()
			if err != nil {
				return err
			}
			return o.signAll(cmd, g, signer, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Key, "key", "", "armored or binary OpenPGP secret key file")
	f.StringVar(&o.PassphraseFile, "passphrase-file", "", "file whose first line is the passphrase of --key")
	f.StringVar(&o.GPG, "gpg", "", "sign with a gpg-compatible `PROGRAM` instead of --key (default gpg)")
	f.Lookup("gpg").NoOptDefVal = "gpg"
	f.StringVar(&o.LocalUser, "local-user", "", "with --gpg: the key to sign with (ID, fingerprint or user ID)")
	f.StringVar(&o.Registry, "registry", "stagex", "registry namespace named in the signature and first folder under signatures/")
	f.StringVar(&o.Dir, "signatures", "", "signatures folder (default <tree>/signatures)")
	return cmd
}

func (o *signOptions) signer() (signature.Signer, error) {
	switch {
	case o.Key != "" && o.GPG != "":
		return nil, usageErrorf("sign: give --key or --gpg, not both")
	case o.GPG != "":
		return &signature.GPGSigner{Program: o.GPG, LocalUser: o.LocalUser}, nil
	case o.Key == "":
		return nil, usageErrorf("sign: give --key FILE or --gpg")
	case o.LocalUser != "":
		return nil, usageErrorf("sign: --local-user needs --gpg")
	}
	data, err := os.ReadFile(o.Key)
	if err != nil {
		return nil, fmt.Errorf("read secret key: %w", err)
	}
	e, err := signature.ParseSecretKey(data, o.passphrase)
	if err != nil {
		return nil, fmt.Errorf("read secret key %s: %w", o.Key, err)
	}
	return &signature.KeySigner{Entity: e, Now: time.Now}, nil
}

// passphrase reads --passphrase-file, then the environment, then the
// terminal.
func (o *signOptions) passphrase() ([]byte, error) {
	if o.PassphraseFile != "" {
		b, err := os.ReadFile(o.PassphraseFile)
		if err != nil {
			return nil, err
		}
		line, _, _ := bytes.Cut(b, []byte("\n"))
		return bytes.TrimSuffix(line, []byte("\r")), nil
	}
	if pw, ok := os.LookupEnv(passphraseEnv); ok {
		return []byte(pw), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("key is encrypted: give --passphrase-file or $%s (no terminal to prompt on)", passphraseEnv)
	}
	fmt.Fprintf(os.Stderr, "Passphrase for %s: ", o.Key)
	pw, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	return pw, err
}

func (o *signOptions) signAll(cmd *cobra.Command, g *globalOptions, s signature.Signer, targets []string) error {
	root := o.Dir
	if root == "" {
		root = filepath.Join(g.Tree, "signatures")
	}
	for _, t := range targets {
		img, err := signature.ReadTarget(g.Tree, root, o.Registry, t)
		if err != nil {
			return err
		}
		res, err := signature.SignImage(cmd.Context(), img, s, time.Now())
		if err != nil {
			return fmt.Errorf("sign %s: %w", t, err)
		}
		signer := strings.ToUpper(res.Signer)
		if res.Already {
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s: key %s already signed it (%s); nothing written\n", t, img.Digest, signer, res.Path)
			continue
		}
		fmt.Fprintf(cmd.OutOrStdout(), "%s %s as %s: signed by %s -> %s\n", t, img.Digest, img.Reference, signer, res.Path)
	}
	return nil
}
