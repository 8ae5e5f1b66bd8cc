package signature

// Reason says why a signature does not count. The empty Reason means it
// counts.
type Reason string

// Reasons a signature file is rejected.
const (
	ReasonNotOpenPGP    Reason = "not an OpenPGP message"
	ReasonArmored       Reason = "armored file, want binary (gpg --sign --no-armor)"
	ReasonClearsigned   Reason = "clearsigned text, want a binary signed message"
	ReasonDetached      Reason = "detached signature, want a signed message"
	ReasonMultiple      Reason = "more than one signature in one message"
	ReasonTrailing      Reason = "data after the signed message"
	ReasonStructure     Reason = "malformed signed message"
	ReasonBadSignature  Reason = "signature does not verify (tampered?)"
	ReasonUnknownKey    Reason = "signed by a key not in the keyring"
	ReasonUnboundSubkey Reason = "signed by a subkey not bound to its primary key"
	ReasonNotSigningKey Reason = "key is not allowed to sign"
	ReasonExpiredKey    Reason = "key expired"
	ReasonRevokedKey    Reason = "key revoked"
	ReasonExpiredSig    Reason = "signature expired"
	ReasonFutureSig     Reason = "signature made in the future"
	ReasonWeakHash      Reason = "weak hash algorithm"
	ReasonWeakKey       Reason = "weak key"
	ReasonBadPayload    Reason = "invalid payload"
	ReasonWrongDigest   Reason = "signs another manifest digest"
	ReasonWrongIdentity Reason = "signs another image name"
	ReasonDuplicate     Reason = "key already counted for this image"
	ReasonUnreadable    Reason = "cannot read file"
	ReasonBadName       Reason = "not a signature-<N> file"
)
