package signature

import (
	"bytes"
	"context"
	"crypto"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Signer signs payloads as binary OpenPGP signed messages.
type Signer interface {
	// Sign returns a signed message over payload.
	Sign(ctx context.Context, payload []byte) ([]byte, error)
	// PublicKeys returns the signer's public key, used to recognize
	// signatures it already made.
	PublicKeys(ctx context.Context) (*Keyring, error)
}

// KeySigner signs with a decrypted go-crypto secret key: with the primary
// key when it may sign, else with its newest valid signing subkey.
type KeySigner struct {
	Entity *openpgp.Entity
	// Now is the clock; signatures are dated with it.
	Now func() time.Time
}

var _ Signer = (*KeySigner)(nil)

// Sign implements Signer.
func (s *KeySigner) Sign(_ context.Context, payload []byte) ([]byte, error) {
	now := s.Now()
	cfg := &packet.Config{DefaultHash: crypto.SHA256, Time: func() time.Time { return now }}
	if ss, _ := s.Entity.PrimarySelfSignature(); ss != nil && (!ss.FlagsValid || ss.FlagSign) && s.Entity.PrivateKey != nil && !s.Entity.PrivateKey.Dummy() {
		if _, ok := s.Entity.SigningKeyById(now, s.Entity.PrimaryKey.KeyId); ok {
			cfg.SigningKeyId = s.Entity.PrimaryKey.KeyId
		}
	}
	if _, ok := s.Entity.SigningKeyById(now, cfg.SigningKeyId); !ok {
		return nil, fmt.Errorf("sign with key %X: no valid signing key (expired, revoked or not allowed to sign)", s.Entity.PrimaryKey.Fingerprint)
	}
	var out bytes.Buffer
	w, err := openpgp.Sign(&out, s.Entity, nil, cfg)
	if err != nil {
		return nil, fmt.Errorf("sign with key %X: %w", s.Entity.PrimaryKey.Fingerprint, err)
	}
	if _, err := w.Write(payload); err != nil {
		return nil, fmt.Errorf("sign with key %X: %w", s.Entity.PrimaryKey.Fingerprint, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("sign with key %X: %w", s.Entity.PrimaryKey.Fingerprint, err)
	}
	return out.Bytes(), nil
}

// PublicKeys implements Signer.
func (s *KeySigner) PublicKeys(context.Context) (*Keyring, error) {
	var b bytes.Buffer
	if err := s.Entity.Serialize(&b); err != nil {
		return nil, fmt.Errorf("export public key %X: %w", s.Entity.PrimaryKey.Fingerprint, err)
	}
	return ParseKeyring(b.Bytes())
}
