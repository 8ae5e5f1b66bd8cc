// Package signature makes and checks StageX image signatures: the
// containers/image "simple signing" payload, signed as a binary OpenPGP
// signed message and stored as
// signatures/<registry>/<target>@sha256=<hex>/signature-<N>.
//
// Verification parses the message itself instead of trusting either
// go-crypto API: exactly one one-pass signature, one literal data packet and
// one signature (optionally inside one compressed packet), nothing after it;
// the payload parsed strictly; the key found in the keyring (by the issuer
// fingerprint when the signature has one), subkeys only when bound (and
// cross-signed); exports of one key merged by fingerprint, so that a
// revocation in any file of the keyring counts; the key neither expired nor revoked at the
// caller's clock; no SHA-1 or weaker hash, no RSA or DSA key under 2048 bits.
// A quorum counts distinct primary keys.
package signature
