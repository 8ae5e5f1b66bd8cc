package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/digests/explain"
	"github.com/stevedore-build/stevedore/imagestore"
)

// verifyCheck is what --verify needs to explain a mismatch: the built
// image, its name (whose repository may hold the expected image) and the
// resolver that can fetch it.
type verifyCheck struct {
	want, file, name string
	built            *image.Assembled
	platform         ocispec.Platform
	resolver         *imagestore.Resolver
	workDir          string
}

// verifyDigest is --verify: nothing to do when want is empty or equal to
// the built manifest digest; otherwise it explains the mismatch (as
// stevedore diff does when the expected image can be fetched as
// <name's repository>@<want>) and ends with exit code 1.
func verifyDigest(ctx context.Context, cmd *cobra.Command, v verifyCheck) error {
	got := v.built.ManifestDigest.String()
	w := cmd.ErrOrStderr()
	if v.want == "" {
		return nil
	}
	if v.want == got {
		fmt.Fprintf(w, "verified: %s\n", got)
		return nil
	}
	fmt.Fprintf(w, "%s: images differ\n", v.file)
	fmt.Fprintf(w, "  manifest digest: want %s\n", v.want)
	fmt.Fprintf(w, "                   got  %s\n", got)
	if err := explainAgainst(ctx, w, v); err != nil {
		fmt.Fprintf(w, "  (the expected image could not be compared: %v)\n", err)
		fmt.Fprintf(w, "  pass --tag with the repository that holds it (or --image-source), or write both images and run stevedore diff WANT GOT\n")
	}
	return silentExit(exitFailure)
}

// explainAgainst fetches <repository of name>@want and prints stevedore
// diff's explanation of the differences with the built image.
func explainAgainst(ctx context.Context, w io.Writer, v verifyCheck) error {
	if v.name == "" {
		return fmt.Errorf("no --tag names a repository to fetch %s from", v.want)
	}
	repo := v.name
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	dir, err := v.resolver.Resolve(ctx, repo+"@"+v.want, v.platform)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(v.workDir, "verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	built := filepath.Join(tmp, "built")
	if err := image.WriteLayout(built, v.built); err != nil {
		return err
	}
	res, err := explain.Refs(ctx, dir, built, "", explain.Options{MaxDifferences: 100})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "  a = %s@%s (expected), b = this build:\n", repo, v.want)
	return res.WriteText(w)
}
