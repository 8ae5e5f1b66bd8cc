package signature

import (
	"bytes"
	"crypto"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// t0 is the fixed clock of these tests: keys are made at t0, signatures at
// t0+1h, and verified at t0+2h unless a test says otherwise.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) func() time.Time { return func() time.Time { return t0.Add(d) } }

// newKey makes an EdDSA (legacy, as gpg 2.2 reads) key at t0.
func newKey(t testing.TB, name string, cfg *packet.Config) *openpgp.Entity {
	t.Helper()
	if cfg == nil {
		cfg = &packet.Config{}
	}
	if cfg.Algorithm == 0 {
		cfg.Algorithm, cfg.Curve = packet.PubKeyAlgoEdDSA, packet.Curve25519
	}
	cfg.Time = at(0)
	e, err := openpgp.NewEntity(name, "", name+"@example.org", cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// publicRing returns a keyring holding the public parts of es.
func publicRing(t testing.TB, es ...*openpgp.Entity) *Keyring {
	t.Helper()
	kr, err := ParseKeyring(publicBytes(t, es...))
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func publicBytes(t testing.TB, es ...*openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, e := range es {
		if err := e.Serialize(&b); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

// signWith signs payload with e through KeySigner at t0+1h.
func signWith(t testing.TB, e *openpgp.Entity, p Payload) []byte {
	t.Helper()
	msg, err := (&KeySigner{Entity: e, Now: at(time.Hour)}).Sign(t.Context(), p.Marshal())
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// rawSigned builds a signed message by hand so that tests can pick the hash
// and the number of signatures: one one-pass signature and one signature per
// key, nested as gpg does.
func rawSigned(t testing.TB, payload []byte, h crypto.Hash, keys ...*packet.PrivateKey) []byte {
	t.Helper()
	var b bytes.Buffer
	for i, k := range keys {
		ops := &packet.OnePassSignature{Version: 3, SigType: packet.SigTypeBinary, Hash: h,
			PubKeyAlgo: k.PubKeyAlgo, KeyId: k.KeyId, IsLast: i == len(keys)-1}
		if err := ops.Serialize(&b); err != nil {
			t.Fatal(err)
		}
	}
	lit, err := packet.SerializeLiteral(nopCloser{&b}, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	lit.Write(payload)
	lit.Close()
	for i := len(keys) - 1; i >= 0; i-- {
		k := keys[i]
		sig := &packet.Signature{SigType: packet.SigTypeBinary, PubKeyAlgo: k.PubKeyAlgo, Hash: h,
			CreationTime: t0.Add(time.Hour), IssuerKeyId: &k.KeyId}
		hh := h.New()
		hh.Write(payload)
		noSalt := false // go-crypto has no salt size for SHA-1
		if err := sig.Sign(hh, k, &packet.Config{NonDeterministicSignaturesViaNotation: &noSalt}); err != nil {
			t.Fatal(err)
		}
		if err := sig.Serialize(&b); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

type nopCloser struct{ *bytes.Buffer }

func (nopCloser) Close() error { return nil }
