package signature

import (
	"bytes"
	"encoding/hex"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// clockSkew is how far in the future a signature may be dated.
const clockSkew = 5 * time.Minute

// findKey returns the keyring key that made sig: a primary key, or a subkey
// bound to it and allowed to sign. When the signature carries an issuer
// fingerprint, only the key with that fingerprint matches (a key ID can be
// shared by two keys); otherwise the key ID must name exactly one key.
func findKey(kr *Keyring, sig *packet.Signature) (*openpgp.Key, error) {
	id, ok := issuerID(sig)
	if !ok {
		return nil, reject(ReasonStructure, "signature names no issuer")
	}
	var found []*openpgp.Key
	match := func(pk *packet.PublicKey) bool {
		if sig.IssuerFingerprint != nil {
			return bytes.Equal(pk.Fingerprint, sig.IssuerFingerprint)
		}
		return pk.KeyId == id
	}
	for _, e := range kr.Entities {
		if match(e.PrimaryKey) {
			ss, _ := e.PrimarySelfSignature()
			found = append(found, &openpgp.Key{Entity: e, PublicKey: e.PrimaryKey, SelfSignature: ss, Revocations: e.Revocations})
		}
		for _, sk := range e.Subkeys {
			if match(sk.PublicKey) {
				found = append(found, &openpgp.Key{Entity: e, PublicKey: sk.PublicKey, SelfSignature: sk.Sig, Revocations: sk.Revocations})
			}
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return nil, reject(ReasonStructure, "key ID %016X names %d keys of the keyring and the signature carries no issuer fingerprint", id, len(found))
	}
	for _, u := range kr.Unbound {
		if u.KeyID == id {
			return nil, reject(ReasonUnboundSubkey, "subkey %016X after primary %s: %s", id, u.Primary, u.Reason)
		}
	}
	if sig.IssuerFingerprint != nil {
		return nil, reject(ReasonUnknownKey, "fingerprint %X", sig.IssuerFingerprint)
	}
	return nil, reject(ReasonUnknownKey, "key ID %016X", id)
}

func issuerID(sig *packet.Signature) (uint64, bool) {
	if sig.IssuerKeyId != nil {
		return *sig.IssuerKeyId, true
	}
	if n := len(sig.IssuerFingerprint); n >= 8 {
		var id uint64
		for _, b := range sig.IssuerFingerprint[n-8:] {
			id = id<<8 | uint64(b)
		}
		return id, true
	}
	return 0, false
}

// checkKeyState rejects keys that are revoked, expired or not allowed to
// sign at now, and signatures that are expired or dated in the future.
//
// A signature dated up to clockSkew after now (the signer's clock ran a
// little ahead, or a second ticked between signing and checking) is judged
// at its own creation time: go-crypto's KeyExpired and SigExpired call
// anything created after the time they are given "expired", which would
// report a fresh, valid signature as an expired one.
func checkKeyState(key *openpgp.Key, sig *packet.Signature, now time.Time) error {
	if sig.CreationTime.After(now.Add(clockSkew)) {
		return reject(ReasonFutureSig, "made %s, now is %s", sig.CreationTime.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if sig.CreationTime.After(now) {
		now = sig.CreationTime
	}
	e := key.Entity
	primarySig, primaryID := e.PrimarySelfSignature()
	if primarySig == nil {
		return reject(ReasonNotSigningKey, "primary key has no valid self-signature")
	}
	isSub := key.PublicKey != e.PrimaryKey
	if e.Revoked(now) || (primaryID != nil && primaryID.Revoked(now)) || (isSub && key.Revoked(now)) {
		return reject(ReasonRevokedKey, "%X", key.PublicKey.Fingerprint)
	}
	if e.PrimaryKey.KeyExpired(primarySig, now) || primarySig.SigExpired(now) {
		return reject(ReasonExpiredKey, "primary key %X at %s", e.PrimaryKey.Fingerprint, now.UTC().Format(time.RFC3339))
	}
	if isSub && (key.PublicKey.KeyExpired(key.SelfSignature, now) || key.SelfSignature.SigExpired(now)) {
		return reject(ReasonExpiredKey, "subkey %X at %s", key.PublicKey.Fingerprint, now.UTC().Format(time.RFC3339))
	}
	if s := key.SelfSignature; s.FlagsValid && !s.FlagSign {
		return reject(ReasonNotSigningKey, "%X has no signing flag", key.PublicKey.Fingerprint)
	}
	if sig.IssuerFingerprint != nil && !bytes.Equal(sig.IssuerFingerprint, key.PublicKey.Fingerprint) {
		return reject(ReasonStructure, "issuer fingerprint %s does not match key %X", hex.EncodeToString(sig.IssuerFingerprint), key.PublicKey.Fingerprint)
	}
	if sig.CreationTime.Before(key.PublicKey.CreationTime) {
		return reject(ReasonStructure, "signature older than its key")
	}
	if sig.SigExpired(now) {
		return reject(ReasonExpiredSig, "")
	}
	for _, n := range sig.Notations {
		if n.IsCritical {
			return reject(ReasonStructure, "unknown critical notation %q", n.Name)
		}
	}
	return nil
}
