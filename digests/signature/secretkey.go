package signature

import (
	"bytes"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// PassphraseFunc returns the passphrase of an encrypted secret key; it is
// called only when one is needed.
type PassphraseFunc func() ([]byte, error)

// ParseSecretKey reads the first secret key of an armored or binary key
// file and decrypts it with passphrase when it is encrypted.
func ParseSecretKey(data []byte, passphrase PassphraseFunc) (*openpgp.Entity, error) {
	var r io.Reader = bytes.NewReader(data)
	if isArmored(data) {
		block, err := armor.Decode(r)
		if err != nil {
			return nil, fmt.Errorf("decode armored secret key: %w", err)
		}
		if block.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("armor block is a %q, want a secret key (gpg --export-secret-keys)", block.Type)
		}
		r = block.Body
	}
	el, err := openpgp.ReadKeyRing(r)
	if err != nil {
		return nil, fmt.Errorf("parse secret key: %w", err)
	}
	for _, e := range el {
		if e.PrivateKey != nil {
			return e, decrypt(e, passphrase)
		}
	}
	return nil, fmt.Errorf("no secret key found; export one with gpg --export-secret-keys")
}

// decrypt decrypts every encrypted private key of e.
func decrypt(e *openpgp.Entity, passphrase PassphraseFunc) error {
	encrypted := e.PrivateKey.Encrypted
	for _, sk := range e.Subkeys {
		encrypted = encrypted || (sk.PrivateKey != nil && sk.PrivateKey.Encrypted)
	}
	if !encrypted {
		return nil
	}
	if passphrase == nil {
		return fmt.Errorf("secret key %X is encrypted; give a passphrase", e.PrimaryKey.Fingerprint)
	}
	pw, err := passphrase()
	if err != nil {
		return fmt.Errorf("read passphrase: %w", err)
	}
	if err := e.DecryptPrivateKeys(pw); err != nil {
		return fmt.Errorf("decrypt secret key %X: %w (wrong passphrase?)", e.PrimaryKey.Fingerprint, err)
	}
	return nil
}
