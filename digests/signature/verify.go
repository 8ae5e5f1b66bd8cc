package signature

import (
	"crypto"
	"encoding/hex"
	"errors"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Expect is what a signature must assert to count for an image.
type Expect struct {
	// Digest is the image manifest digest, "sha256:<hex>".
	Digest string
	// Reference names the image, e.g. "stagex/core-gcc:13"; only its
	// normalized repository name must match, not the tag.
	Reference string
}

// Result is the verdict on one signature message.
type Result struct {
	// Signer is the fingerprint (hex) of the key that made the signature,
	// empty when it could not be identified.
	Signer string
	// Primary is the fingerprint of Signer's primary key; a quorum counts
	// distinct primary keys.
	Primary string
	// Payload is the signed payload, when it could be read.
	Payload *Payload
	// Reason is empty when the signature counts.
	Reason Reason
	// Detail adds specifics to Reason.
	Detail string
}

// OK reports whether the signature counts.
func (r Result) OK() bool { return r.Reason == "" }

// Verify checks one signature file's content against kr at time now.
func Verify(data []byte, kr *Keyring, want Expect, now time.Time) Result {
	res, payload := verifyMessage(data, kr, now)
	if !res.OK() {
		return res
	}
	p, err := ParsePayload(payload)
	if err != nil {
		return res.fail(reject(ReasonBadPayload, "%v", err))
	}
	res.Payload = &p
	if err := checkPayload(p, want); err != nil {
		return res.fail(err)
	}
	return res
}

// verifyMessage checks the message, the key and the signature, and returns
// the signed payload; the caller checks the payload.
func verifyMessage(data []byte, kr *Keyring, now time.Time) (Result, []byte) {
	var res Result
	m, err := parseSignedMessage(data)
	if err != nil {
		return res.fail(err), nil
	}
	key, err := findKey(kr, m.sig)
	if key != nil {
		res.Signer = hex.EncodeToString(key.PublicKey.Fingerprint)
		res.Primary = hex.EncodeToString(key.Entity.PrimaryKey.Fingerprint)
	}
	if err != nil {
		return res.fail(err), nil
	}
	if err := checkSignature(m, key, now); err != nil {
		return res.fail(err), nil
	}
	return res, m.payload
}

func (r Result) fail(err error) Result {
	var rej *rejection
	if errors.As(err, &rej) {
		r.Reason, r.Detail = rej.reason, rej.detail
	} else {
		r.Reason, r.Detail = ReasonStructure, err.Error()
	}
	return r
}

func checkPayload(p Payload, want Expect) error {
	if p.Digest != want.Digest {
		return reject(ReasonWrongDigest, "%s, want %s", p.Digest, want.Digest)
	}
	got, err := ParseReference(p.Reference)
	if err != nil {
		return reject(ReasonBadPayload, "%v", err)
	}
	exp, err := ParseReference(want.Reference)
	if err != nil {
		return reject(ReasonWrongIdentity, "expected reference: %v", err)
	}
	if got.Name() != exp.Name() {
		return reject(ReasonWrongIdentity, "%s, want %s", p.Reference, exp.Name())
	}
	return nil
}

// checkSignature checks the message's consistency, the hash and key
// strength, the key's state at now, then the signature itself.
func checkSignature(m *signedMessage, key *openpgp.Key, now time.Time) error {
	sig, ops := m.sig, m.ops
	if sig.SigType != packet.SigTypeBinary {
		return reject(ReasonStructure, "signature type 0x%02x, want binary (0x00)", byte(sig.SigType))
	}
	if ops.SigType != sig.SigType || ops.Hash != sig.Hash || ops.PubKeyAlgo != sig.PubKeyAlgo || ops.KeyId != key.PublicKey.KeyId {
		return reject(ReasonStructure, "one-pass signature does not match the signature")
	}
	if err := checkHash(sig.Hash); err != nil {
		return err
	}
	if err := checkKeyStrength(key.PublicKey); err != nil {
		return err
	}
	if err := checkKeyState(key, sig, now); err != nil {
		return err
	}
	h, err := sig.PrepareVerify()
	if err != nil {
		return reject(ReasonWeakHash, "%v", err)
	}
	h.Write(m.payload)
	if err := key.PublicKey.VerifySignature(h, sig); err != nil {
		return reject(ReasonBadSignature, "%v", err)
	}
	return nil
}

// strongHashes are the hash algorithms accepted in message signatures.
var strongHashes = map[crypto.Hash]bool{
	crypto.SHA224: true, crypto.SHA256: true, crypto.SHA384: true, crypto.SHA512: true,
	crypto.SHA3_256: true, crypto.SHA3_512: true,
}

func checkHash(h crypto.Hash) error {
	if !strongHashes[h] {
		name := "hash " + h.String()
		if h == crypto.SHA1 {
			name = "SHA-1"
		}
		return reject(ReasonWeakHash, "%s", name)
	}
	return nil
}

// minRSABits is the smallest RSA or DSA modulus accepted.
const minRSABits = 2048

func checkKeyStrength(pk *packet.PublicKey) error {
	switch pk.PubKeyAlgo {
	case packet.PubKeyAlgoRSA, packet.PubKeyAlgoRSASignOnly, packet.PubKeyAlgoDSA:
		bits, err := pk.BitLength()
		if err != nil {
			return reject(ReasonWeakKey, "%v", err)
		}
		if bits < minRSABits {
			return reject(ReasonWeakKey, "%d-bit key, want at least %d", bits, minRSABits)
		}
	}
	return nil
}
