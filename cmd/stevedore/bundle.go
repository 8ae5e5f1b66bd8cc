package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/digests/signature"
	"github.com/stevedore-build/stevedore/exchange/bundle"
	"github.com/stevedore-build/stevedore/internal/lock"
	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/plan"
	"github.com/stevedore-build/stevedore/recipes/sources"
)

func init() {
	register(newBundleCmd)
	register(newUnbundleCmd)
}

// bundleOptions are the flags of `stevedore bundle`.
type bundleOptions struct {
	Output         string
	Platform       string
	SignKeys       []string
	PassphraseFile string
}

func newBundleCmd(g *globalOptions) *cobra.Command {
	o := &bundleOptions{}
	cmd := &cobra.Command{
		Use:   "bundle -o FILE TARGET...",
		Short: "Pack the fetched sources and dependency images an offline build of TARGETs needs",
		Long: `bundle writes one tar file with everything building TARGET... needs that is
not in the recipes: the fetched sources (fetch/<stage>/<origin>/<file>) of
the targets and all their dependencies, and the built images (out/<dep>/)
of their dependencies, with a manifest of every member's SHA-256 first.
Sources must match the hashes package.toml pins (run stevedore fetch
first); dependencies must be built. Carry the file and the recipes across
the air gap and run stevedore unbundle there.

--sign-key signs the manifest with an OpenPGP secret key, as stevedore sign
signs images (repeatable: one signature per key); unbundle --keyring then
requires --quorum of them. An encrypted key's passphrase comes from
--passphrase-file, else $` + passphraseEnv + `, else the terminal.`,
		Example: `  stevedore --tree ~/stagex fetch core-gcc && stevedore --tree ~/stagex build core-gcc
  stevedore --tree ~/stagex bundle -o /media/usb/core-gcc.bundle core-gcc
  stevedore --tree ~/stagex bundle --sign-key ~/alice.sec.asc -o /media/usb/core-gcc.bundle core-gcc`,
		Args: argsRange(1, -1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.Output == "" {
				return usageErrorf("bundle: -o FILE is required")
			}
			spec, err := bundleSpec(g.Tree, o.Platform, args)
			if err != nil {
				return err
			}
			sign, err := o.signFunc(cmd)
			if err != nil {
				return err
			}
			m, err := bundle.CreateSigned(g.Tree, spec, o.Output, sign)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d sources, %d images, %d files\n", o.Output, len(spec.Sources), len(m.Images), len(m.Members))
			return nil
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "", "bundle file to write")
	cmd.Flags().StringVar(&o.Platform, "platform", recipes.DefaultPlatform, "platform of packages that set none")
	cmd.Flags().StringArrayVar(&o.SignKeys, "sign-key", nil, "sign the bundle with this armored or binary OpenPGP secret key file (repeatable)")
	cmd.Flags().StringVar(&o.PassphraseFile, "passphrase-file", "", "file whose first line is the passphrase of the --sign-key keys")
	return cmd
}

// signFunc reads the --sign-key keys and returns what signs a manifest
// with each (nil without keys).
func (o *bundleOptions) signFunc(cmd *cobra.Command) (bundle.SignFunc, error) {
	var signers []signature.Signer
	for _, k := range o.SignKeys {
		so := &signOptions{Key: k, PassphraseFile: o.PassphraseFile}
		s, err := so.signer()
		if err != nil {
			return nil, err
		}
		signers = append(signers, s)
	}
	if len(signers) == 0 {
		return nil, nil
	}
	return func(manifest []byte) ([][]byte, error) {
		var sigs [][]byte
		for _, s := range signers {
			sig, err := signature.SignBundle(cmd.Context(), s, manifest)
			if err != nil {
				return nil, err
			}
			sigs = append(sigs, sig)
		}
		return sigs, nil
	}, nil
}

// bundleTrust is what unbundle --keyring requires of a bundle: signatures
// over its manifest by --quorum distinct keys of the keyring. Without a
// keyring it says on stderr that the bundle is only checked against its
// own manifest.
func bundleTrust(cmd *cobra.Command, keyring string, quorum int) (bundle.TrustFunc, error) {
	if keyring == "" {
		return func(s bundle.Signed) error {
			fmt.Fprintf(cmd.ErrOrStderr(), "stevedore: warning: the bundle is checked against its own manifest only (%d signature(s) not checked); give --keyring to require signatures\n", len(s.Signatures))
			return nil
		}, nil
	}
	if quorum < 1 {
		return nil, usageErrorf("--quorum must be at least 1")
	}
	kr, err := signature.ReadKeyring(keyring)
	if err != nil {
		return nil, err
	}
	return func(s bundle.Signed) error {
		rep := signature.VerifyBundle(s.Manifest, s.Signatures, kr, quorum, time.Now())
		if !rep.OK() {
			return fmt.Errorf("signatures: %s (keyring %s)", rep.Error(), keyring)
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "bundle signed by %d key(s) of %s\n", len(rep.Signers), keyring)
		return nil
	}, nil
}

// bundleSpec lists the sources of targets and their dependencies, and the
// dependencies (not the targets themselves) as images.
func bundleSpec(root, platform string, args []string) (bundle.Spec, error) {
	tree, selected, ordered, err := planTargets(root, platform, args)
	if err != nil {
		return bundle.Spec{}, err
	}
	spec := bundle.Spec{}
	chosen := map[string]bool{}
	for _, t := range selected {
		chosen[t.Name] = true
		spec.Targets = append(spec.Targets, t.Name)
	}
	for _, t := range ordered {
		if !chosen[t.Name] {
			spec.Images = append(spec.Images, t.Name)
		}
	}
	for _, it := range sources.Items(tree, ordered) {
		rel, err := filepath.Rel(tree.Root, it.Path())
		if err != nil {
			return bundle.Spec{}, err
		}
		spec.Sources = append(spec.Sources, bundle.Source{Path: filepath.ToSlash(rel), SHA256: it.SHA256})
	}
	// Every recorded fetch step goes along: its key ties it to exactly the
	// RUN (and filesystem) it belongs to, so extra ones are never misused.
	// So does the image store of base images from outside the tree, with
	// the lock file that pins them.
	for _, dir := range []string{bundle.FetchStepsDir, bundle.ImageStoreDir} {
		files, err := treeFiles(tree.Root, dir)
		if err != nil {
			return bundle.Spec{}, err
		}
		spec.FetchSteps = append(spec.FetchSteps, files...)
	}
	if _, err := os.Stat(filepath.Join(tree.Root, bundle.LockFile)); err == nil {
		spec.FetchSteps = append(spec.FetchSteps, bundle.LockFile)
	}
	return spec, nil
}

// treeFiles lists the regular files under root/dir (tree-relative, sorted),
// skipping temporary files (names starting with a dot).
func treeFiles(root, dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(dir)), func(p string, d os.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && p != filepath.Join(root, filepath.FromSlash(dir)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

func planTargets(root, platform string, args []string) (*recipes.Tree, []*recipes.Target, []*recipes.Target, error) {
	tree, err := recipes.Load(root, recipes.Options{Platform: platform})
	if err != nil {
		return nil, nil, nil, err
	}
	selected, err := plan.Select(tree, args)
	if err != nil {
		return nil, nil, nil, err
	}
	ordered, err := plan.Order(tree, selected)
	if err != nil {
		return nil, nil, nil, err
	}
	return tree, selected, ordered, nil
}

func newUnbundleCmd(g *globalOptions) *cobra.Command {
	var platform, keyring string
	var quorum int
	cmd := &cobra.Command{
		Use:   "unbundle FILE",
		Short: "Verify a bundle, then put its sources into fetch/ and its images into out/",
		Long: `unbundle reads the whole bundle first and checks every member against its
manifest (size, SHA-256, nothing missing or extra, paths only under fetch/
and out/) and the tree for conflicts (a file or image that exists with other
content). If anything does not match, it stops, naming the member, and
writes nothing. Then it puts the sources into fetch/ and the images into
out/ (each atomically) and links the sources into the package directories,
as stevedore fetch does, so that stevedore build works with no network.

With --keyring, the bundle's manifest must also carry signatures (bundle
--sign-key) by --quorum distinct keys of the keyring, checked as image
signatures are (not expired, revoked or weak); otherwise nothing is written.
Without it, a bundle is only as trustworthy as the medium that carried it.`,
		Example: `  stevedore --tree ~/stagex unbundle /media/usb/core-gcc.bundle
  stevedore --tree ~/stagex unbundle --keyring maintainers/ --quorum 2 /media/usb/core-gcc.bundle
  stevedore --tree ~/stagex build core-gcc`,
		Args: argsRange(1, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trust, err := bundleTrust(cmd, keyring, quorum)
			if err != nil {
				return err
			}
			return unbundle(cmd, g, args[0], platform, trust)
		},
	}
	cmd.Flags().StringVar(&platform, "platform", recipes.DefaultPlatform, "platform of packages that set none")
	cmd.Flags().StringVar(&keyring, "keyring", "", "require signatures by keys of this file or folder of public keys")
	cmd.Flags().IntVar(&quorum, "quorum", 1, "with --keyring: distinct keys that must have signed the bundle")
	return cmd
}

// linkSources links the fetched sources of targets and their dependencies
// into the package directories, as stevedore fetch does.
func linkSources(tree *recipes.Tree, targets []string) error {
	selected, err := plan.Select(tree, targets)
	if err != nil {
		return err
	}
	ordered, err := plan.Order(tree, selected)
	if err != nil {
		return err
	}
	return sources.Link(tree, ordered)
}

// unbundle verifies a bundle and unpacks it into the tree (see unbundle's
// help); build --bundle runs it before building.
func unbundle(cmd *cobra.Command, g *globalOptions, file, platform string, trust bundle.TrustFunc) error {
	// The recipes are loaded first: without them the sources cannot be
	// linked, so nothing is unpacked.
	tree, err := recipes.Load(g.Tree, recipes.Options{Platform: platform})
	if err != nil {
		return fmt.Errorf("unbundle: the tree's recipes: %w", err)
	}
	tl, err := lockTree(cmd, g.Tree, lock.Exclusive)
	if err != nil {
		return err
	}
	defer tl.Release()
	rep, err := bundle.UnpackTrusted(file, g.Tree, trust)
	if err != nil {
		return err
	}
	if err := linkSources(tree, rep.Manifest.Targets); err != nil {
		return fmt.Errorf("unbundle: link sources: %w", err)
	}
	fmt.Fprintf(cmd.OutOrStdout(), "verified %d files; wrote %d sources (%d already present), %d images (%d already present)\n",
		len(rep.Manifest.Members), rep.Sources, rep.SkippedSources, rep.Images, rep.SkippedImages)
	return nil
}
