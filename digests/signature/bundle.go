package signature

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// BundlePayload is what a bundle signature signs: the SHA-256 of the
// bundle's manifest (which lists every member's SHA-256), in a payload of
// its own shape, so that an image signature can never pass for a bundle
// signature or the other way round.
func BundlePayload(manifest []byte) []byte {
	sum := sha256.Sum256(manifest)
	return []byte(`{"stevedore-bundle":{"manifest":"sha256:` + hex.EncodeToString(sum[:]) + `"}}`)
}

// SignBundle signs a bundle manifest with s, as images are signed: a binary
// OpenPGP signed message.
func SignBundle(ctx context.Context, s Signer, manifest []byte) ([]byte, error) {
	return s.Sign(ctx, BundlePayload(manifest))
}

// BundleReport is the verdict on a bundle's signatures.
type BundleReport struct {
	Results []Result // one per signature, in order
	Signers []string // distinct primary keys whose signature counts
	Quorum  int
}

// OK reports whether the quorum is met.
func (r BundleReport) OK() bool { return len(r.Signers) >= r.Quorum }

// VerifyBundle checks each signature of a bundle against kr at now: a
// signature counts when Verify's rules for images hold (key in the
// keyring, not expired, revoked or weak, one signed message with nothing
// trailing) and it signs exactly BundlePayload(manifest). Signatures by one
// primary key count once.
func VerifyBundle(manifest []byte, sigs [][]byte, kr *Keyring, quorum int, now time.Time) BundleReport {
	rep := BundleReport{Quorum: quorum}
	want := BundlePayload(manifest)
	seen := map[string]bool{}
	for _, sig := range sigs {
		res, payload := verifyMessage(sig, kr, now)
		if res.OK() && !bytes.Equal(payload, want) {
			res = res.fail(reject(ReasonWrongDigest, "signs %q, want the manifest of this bundle", truncate(payload, 120)))
		}
		if res.OK() && !seen[res.Primary] {
			seen[res.Primary] = true
			rep.Signers = append(rep.Signers, res.Primary)
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

// Error describes why the quorum is not met, one line per signature.
func (r BundleReport) Error() string {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%d of the required %d keys signed this bundle", len(r.Signers), r.Quorum)
	if len(r.Results) == 0 {
		b.WriteString(" (it carries no signature: make it with stevedore bundle --sign-key)")
	}
	for i, res := range r.Results {
		if res.OK() {
			fmt.Fprintf(&b, "\n  signature %d: ok, key %s", i+1, res.Primary)
		} else {
			fmt.Fprintf(&b, "\n  signature %d: %s", i+1, res.Reason)
			if res.Detail != "" {
				fmt.Fprintf(&b, ": %s", res.Detail)
			}
		}
	}
	return b.String()
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}
