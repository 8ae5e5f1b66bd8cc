package signature

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/stevedore-build/stevedore/digests"
)

// Subject is a built target as signatures see it: what a signature signs.
type Subject struct {
	Target    string
	Digest    string // "sha256:<hex>"
	Reference string // "<registry>/<target>:<tag>"
	Dir       string // its signature folder
}

// Payload returns the payload that signs the image.
func (i Subject) Payload() Payload { return Payload{Reference: i.Reference, Digest: i.Digest} }

// ReadTarget reads out/<target> of tree and returns the image with its
// signature folder under sigRoot.
func ReadTarget(tree, sigRoot, registry, target string) (Subject, error) {
	if _, err := digests.StageOf(target); err != nil {
		return Subject{}, err
	}
	if _, err := NormalizeNamespace(registry); err != nil {
		return Subject{}, err
	}
	img, err := digests.ReadImage(digests.OutDir(tree, target))
	if err != nil {
		return Subject{}, fmt.Errorf("read %s: %w", target, err)
	}
	d := img.Digest.String()
	return Subject{
		Target:    target,
		Digest:    d,
		Reference: ImageReference(registry, target, img.Tag),
		Dir:       Dir(sigRoot, registry, target, d),
	}, nil
}

// SignResult tells what SignImage did.
type SignResult struct {
	// Path is the signature file written, or the existing one by the same
	// key when Already is true.
	Path    string
	Already bool
	Signer  string // fingerprint of the primary key
}

// SignImage signs img with s unless s's key already signed its digest, and
// stores the signature as the next free signature-<N>. The new signature is
// verified against s's public key before it is written.
func SignImage(ctx context.Context, img Subject, s Signer, now time.Time) (SignResult, error) {
	pub, err := s.PublicKeys(ctx)
	if err != nil {
		return SignResult{}, err
	}
	if res, ok, err := existingSignature(img, pub, now); err != nil || ok {
		return res, err
	}
	msg, err := s.Sign(ctx, img.Payload().Marshal())
	if err != nil {
		return SignResult{}, err
	}
	check := Verify(msg, pub, Expect{Digest: img.Digest, Reference: img.Reference}, now)
	if !check.OK() {
		return SignResult{}, fmt.Errorf("check new signature of %s: %s %s; nothing written", img.Target, check.Reason, check.Detail)
	}
	path, err := WriteNext(img.Dir, msg)
	if err != nil {
		return SignResult{}, err
	}
	return SignResult{Path: path, Signer: check.Primary}, nil
}

// existingSignature looks for a valid signature of img by a key in pub.
func existingSignature(img Subject, pub *Keyring, now time.Time) (SignResult, bool, error) {
	files, err := List(img.Dir)
	if err != nil {
		return SignResult{}, false, err
	}
	want := Expect{Digest: img.Digest, Reference: img.Reference}
	for _, f := range files {
		data, err := os.ReadFile(f.Path)
		if err != nil || f.N == 0 {
			continue
		}
		if r := Verify(data, pub, want, now); r.OK() {
			return SignResult{Path: f.Path, Already: true, Signer: r.Primary}, true, nil
		}
	}
	return SignResult{}, false, nil
}
