package export

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushOptions say how to reach the registry. The caller (cmd/) resolves
// credentials; this package reads no files or environment of its own.
type PushOptions struct {
	// Keychain resolves credentials for the registry; nil means anonymous.
	Keychain authn.Keychain
	// Insecure allows plain HTTP and unverified TLS to the registry.
	Insecure bool
}

// Pushed is what a push left in the registry.
type Pushed struct {
	// Ref is the reference pushed to.
	Ref name.Reference
	// Digest is what the reference now points to: the image index (or
	// the manifest, for a layout without one), unchanged from out/.
	Digest v1.Hash
	// Manifest is the image manifest digest StageX records and signs.
	Manifest v1.Hash
}

// Push sends the image to ref (HOST/REPO, tagged with the target's own tag,
// or HOST/REPO:TAG or HOST/REPO@DIGEST) as it is in out/: the image index (every
// platform's manifest, config and layers) or, for a flat layout, the
// manifest. Manifests and indexes are sent byte for byte, so their
// digests in the registry are those of out/; every blob is verified as it
// is read.
func (s *Source) Push(ctx context.Context, ref string, o PushOptions) (Pushed, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(withTag(ref, s.Tag), nopts...)
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s: reference %q: %w", s.Target, ref, err)
	}
	ropts := []remote.Option{remote.WithContext(ctx)}
	if o.Keychain != nil {
		ropts = append(ropts, remote.WithAuthFromKeychain(o.Keychain))
	}
	if s.Top.MediaType.IsIndex() {
		err = s.pushIndex(r, ropts)
	} else {
		err = s.pushImage(r, ropts)
	}
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", s.Target, r, err)
	}
	return Pushed{Ref: r, Digest: s.Top.Digest, Manifest: s.Manifest}, nil
}

func (s *Source) pushIndex(r name.Reference, ropts []remote.Option) error {
	ix, err := s.ImageIndex()
	if err != nil {
		return err
	}
	return remote.WriteIndex(r, ix, ropts...)
}

func (s *Source) pushImage(r name.Reference, ropts []remote.Option) error {
	img, err := s.Image()
	if err != nil {
		return err
	}
	return remote.Write(r, img, ropts...)
}

// withTag adds :tag to a reference that has neither a tag nor a digest.
func withTag(ref, tag string) string {
	last := ref[strings.LastIndex(ref, "/")+1:]
	if tag == "" || strings.ContainsAny(last, ":@") {
		return ref
	}
	return ref + ":" + tag
}
