package buildkitref

import (
	"context"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/digests/explain"
)

// ManifestDigest returns the digest StageX records for a layout: index.json
// → manifests[0] → (nested index) → manifests[0], read (and verified) by
// the digests package, as stevedore verify reads it.
func ManifestDigest(dir string) (v1.Hash, error) {
	img, err := digests.ReadImage(dir)
	if err != nil {
		return v1.Hash{}, err
	}
	return img.Digest, nil
}

// Explain compares two image references (layout directories or any form
// transport.ParseRef accepts) and returns the result.
func Explain(ctx context.Context, a, b string) (*explain.Result, error) {
	return explain.Refs(ctx, a, b, "", explain.Options{})
}

// RequireIdentical fails t, printing why, unless layouts want and got are
// the same image. It is what a parity test calls after building a target
// with BuildKit (want) and stevedore (got).
func RequireIdentical(t testing.TB, want, got string) {
	t.Helper()
	res, err := Explain(context.Background(), want, got)
	if err != nil {
		t.Fatalf("compare %s with %s: %v", want, got, err)
	}
	if !res.Identical {
		t.Fatalf("images differ (a = BuildKit, b = stevedore):\n%s", res)
	}
}

// RequireSameManifest fails t unless layouts want and got have the same
// image manifest digest (the digest StageX records); on a mismatch it
// prints the explanation of every difference.
func RequireSameManifest(t testing.TB, want, got string) {
	t.Helper()
	hw, err := ManifestDigest(want)
	if err != nil {
		t.Fatalf("manifest digest of %s: %v", want, err)
	}
	hg, err := ManifestDigest(got)
	if err != nil {
		t.Fatalf("manifest digest of %s: %v", got, err)
	}
	if hw == hg {
		return
	}
	res, err := Explain(context.Background(), want, got)
	if err != nil {
		t.Fatalf("manifest %s (BuildKit) != %s (stevedore); explain failed: %v", hw, hg, err)
	}
	t.Fatalf("manifest %s (BuildKit) != %s (stevedore):\n%s", hw, hg, res)
}
