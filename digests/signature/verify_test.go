package signature

import (
	"bytes"
	"crypto"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var (
	testDigest = "sha256:" + strings.Repeat("ab", 32)
	testRef    = "stagex/core-gcc:13"
	testWant   = Expect{Digest: testDigest, Reference: testRef}
	testPay    = Payload{Reference: testRef, Digest: testDigest}
)

func TestVerifyAccepts(t *testing.T) {
	alice := newKey(t, "alice", nil)
	rsa := newKey(t, "rsa", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	sub := newKey(t, "sub", nil)
	if err := sub.AddSigningSubkey(&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: at(0)}); err != nil {
		t.Fatal(err)
	}
	kr := publicRing(t, alice, rsa, sub)
	tests := []struct {
		name string
		msg  []byte
		want *openpgp.Entity
	}{
		{"eddsa", signWith(t, alice, testPay), alice},
		{"rsa", signWith(t, rsa, testPay), rsa},
		{"fully qualified identity", signWith(t, alice, Payload{Reference: defaultDomain + "/stagex/core-gcc:other", Digest: testDigest}), alice},
		{"signing subkey", rawSigned(t, testPay.Marshal(), crypto.SHA256, sub.Subkeys[1].PrivateKey), sub},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Verify(tt.msg, kr, testWant, t0.Add(2*time.Hour))
			if !got.OK() {
				t.Fatalf("Verify = %s: %s, want OK", got.Reason, got.Detail)
			}
			if want := strings.ToLower(fingerprint(tt.want)); got.Primary != want {
				t.Errorf("Primary = %s, want %s", got.Primary, want)
			}
		})
	}
}

func fingerprint(e *openpgp.Entity) string {
	return strings.ToLower(strings.TrimSpace(strings.ReplaceAll(
		strings.ToUpper(bytesHex(e.PrimaryKey.Fingerprint)), " ", "")))
}

func bytesHex(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

func TestVerifyRejects(t *testing.T) {
	alice := newKey(t, "alice", nil)
	mallory := newKey(t, "mallory", nil)
	short := newKey(t, "short", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 1024})
	expiring := newKey(t, "expiring", &packet.Config{KeyLifetimeSecs: 90 * 60})
	revoked := newKey(t, "revoked", nil)
	if err := revoked.RevokeKey(packet.KeySuperseded, "test", &packet.Config{Time: at(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	good := signWith(t, alice, testPay)
	kr := publicRing(t, alice, short, expiring, revoked)
	unboundRing, unboundMsg := unboundSubkeyCase(t, alice)

	tests := []struct {
		name string
		msg  []byte
		kr   *Keyring
		now  time.Duration
		want Reason
	}{
		{"tampered byte", tamper(t, good, "core-gcc", "core-gcd"), kr, 2 * time.Hour, ReasonBadSignature},
		{"wrong digest", signWith(t, alice, Payload{Reference: testRef, Digest: "sha256:" + strings.Repeat("cd", 32)}), kr, 2 * time.Hour, ReasonWrongDigest},
		{"wrong identity", signWith(t, alice, Payload{Reference: "stagex/core-evil:13", Digest: testDigest}), kr, 2 * time.Hour, ReasonWrongIdentity},
		{"other registry", signWith(t, alice, Payload{Reference: "127.0.0.1:5000/stagex/core-gcc:13", Digest: testDigest}), kr, 2 * time.Hour, ReasonWrongIdentity},
		{"expired key", signWith(t, expiring, testPay), kr, 2 * time.Hour, ReasonExpiredKey},
		{"revoked key", rawSigned(t, testPay.Marshal(), crypto.SHA256, revoked.PrivateKey), kr, 2 * time.Hour, ReasonRevokedKey},
		{"sha1", rawSigned(t, testPay.Marshal(), crypto.SHA1, alice.PrivateKey), kr, 2 * time.Hour, ReasonWeakHash},
		{"rsa 1024", signWith(t, short, testPay), kr, 2 * time.Hour, ReasonWeakKey},
		{"unbound subkey", unboundMsg, unboundRing, 2 * time.Hour, ReasonUnboundSubkey},
		{"two signatures", rawSigned(t, testPay.Marshal(), crypto.SHA256, alice.PrivateKey, mallory.PrivateKey), kr, 2 * time.Hour, ReasonMultiple},
		{"two signatures same key", rawSigned(t, testPay.Marshal(), crypto.SHA256, alice.PrivateKey, alice.PrivateKey), kr, 2 * time.Hour, ReasonMultiple},
		{"trailing garbage", append(append([]byte{}, good...), "garbage"...), kr, 2 * time.Hour, ReasonTrailing},
		{"trailing packet", append(append([]byte{}, good...), good...), kr, 2 * time.Hour, ReasonMultiple},
		{"detached", detached(t, alice), kr, 2 * time.Hour, ReasonDetached},
		{"armored", armored(t, good), kr, 2 * time.Hour, ReasonArmored},
		{"clearsigned", clearsigned(t, alice), kr, 2 * time.Hour, ReasonClearsigned},
		{"not openpgp", []byte("hello, world\n"), kr, 2 * time.Hour, ReasonNotOpenPGP},
		{"empty", nil, kr, 2 * time.Hour, ReasonNotOpenPGP},
		{"truncated", good[:len(good)-5], kr, 2 * time.Hour, ReasonTrailing},
		{"key outside keyring", signWith(t, mallory, testPay), kr, 2 * time.Hour, ReasonUnknownKey},
		{"signed in the future", good, kr, 0, ReasonFutureSig},
		{"unsigned literal", unsigned(t), kr, 2 * time.Hour, ReasonStructure},
		{"signature expired", sigWithLifetime(t, alice, 30*60), kr, 2 * time.Hour, ReasonExpiredSig},
		{"bad payload", signWithRaw(t, alice, `{"critical":{}}`), kr, 2 * time.Hour, ReasonBadPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Verify(tt.msg, tt.kr, testWant, t0.Add(tt.now))
			if got.Reason != tt.want {
				t.Errorf("Verify reason = %q (%s), want %q", got.Reason, got.Detail, tt.want)
			}
		})
	}
}

func signWithRaw(t *testing.T, e *openpgp.Entity, payload string) []byte {
	t.Helper()
	msg, err := (&KeySigner{Entity: e, Now: at(time.Hour)}).Sign(t.Context(), []byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

func tamper(t *testing.T, msg []byte, old, new string) []byte {
	t.Helper()
	i := bytes.Index(msg, []byte(old))
	if i < 0 {
		t.Fatalf("message does not contain %q", old)
	}
	out := append([]byte{}, msg...)
	copy(out[i:], new)
	return out
}

func detached(t *testing.T, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := openpgp.DetachSign(&b, e, bytes.NewReader(testPay.Marshal()), &packet.Config{Time: at(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func armored(t *testing.T, msg []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := armor.Encode(&b, "PGP MESSAGE", nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(msg)
	w.Close()
	return b.Bytes()
}

func clearsigned(t *testing.T, e *openpgp.Entity) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := clearsign.Encode(&b, e.PrivateKey, &packet.Config{Time: at(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(testPay.Marshal())
	w.Close()
	return b.Bytes()
}

// unboundSubkeyCase appends bob's signing subkey (bound to bob, not to
// alice) after alice's key, and signs with that subkey.
func unboundSubkeyCase(t *testing.T, alice *openpgp.Entity) (*Keyring, []byte) {
	t.Helper()
	bob := newKey(t, "bob", nil)
	if err := bob.AddSigningSubkey(&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: at(0)}); err != nil {
		t.Fatal(err)
	}
	sk := bob.Subkeys[len(bob.Subkeys)-1]
	var b bytes.Buffer
	if err := alice.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	if err := sk.PublicKey.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	if err := sk.Sig.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	kr, err := ParseKeyring(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Entities) != 1 || len(kr.Unbound) != 1 {
		t.Fatalf("keyring: %d entities, %d unbound subkeys, want 1 and 1", len(kr.Entities), len(kr.Unbound))
	}
	return kr, rawSigned(t, testPay.Marshal(), crypto.SHA256, sk.PrivateKey)
}

func TestReadKeyringSeveralArmoredBlocks(t *testing.T) {
	a, b, c := newKey(t, "a", nil), newKey(t, "b", nil), newKey(t, "c", nil)
	rsa := newKey(t, "rsa", &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048})
	var file bytes.Buffer
	file.WriteString("comment before the blocks\n")
	for _, e := range []*openpgp.Entity{a, rsa, b} {
		w, _ := armor.Encode(&file, openpgp.PublicKeyType, nil)
		e.Serialize(w)
		w.Close()
		file.WriteString("\n")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/ab.asc", file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/c.gpg", publicBytes(t, c), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want int
	}{{dir + "/ab.asc", 3}, {dir, 4}, {dir + "/c.gpg", 1}} {
		kr, err := ReadKeyring(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if len(kr.Entities) != tc.want {
			t.Errorf("ReadKeyring(%s): %d keys, want %d", tc.path, len(kr.Entities), tc.want)
		}
	}
	if _, err := ReadKeyring(dir + "/missing"); err == nil {
		t.Error("ReadKeyring(missing): nil error")
	}
}

func FuzzParseKeyring(f *testing.F) {
	f.Add(publicBytes(f, newKey(f, "a", nil)))
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		kr, err := ParseKeyring(b)
		if err == nil && kr == nil {
			t.Fatal("nil keyring without error")
		}
	})
}

// unsigned returns a message holding only the literal data: go-crypto's v2
// API reports no error for it.
func unsigned(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := packet.SerializeLiteral(nopCloser{&b}, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(testPay.Marshal())
	w.Close()
	return b.Bytes()
}

func sigWithLifetime(t *testing.T, e *openpgp.Entity, secs uint32) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := openpgp.Sign(&b, e, nil, &packet.Config{Time: at(time.Hour), SigLifetimeSecs: secs, SigningKeyId: e.PrimaryKey.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(testPay.Marshal())
	w.Close()
	return b.Bytes()
}

func TestParseKeyringCountsSkippedKeys(t *testing.T) {
	a, b := newKey(t, "a", nil), newKey(t, "b", nil)
	var data bytes.Buffer
	b.PrimaryKey.Serialize(&data) // no user ID, no self-signature: unusable
	a.Serialize(&data)
	kr, err := ParseKeyring(data.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(kr.Entities) != 1 || kr.Skipped != 1 {
		t.Errorf("ParseKeyring: %d keys, %d skipped, want 1 and 1", len(kr.Entities), kr.Skipped)
	}
}

// TestVerifyWithinClockSkew: a signature dated a little after now (the
// signer's clock ahead, or a second ticking between signing and checking)
// is valid, also when its key is that young; beyond the skew it is refused
// as made in the future, never as expired.
func TestVerifyWithinClockSkew(t *testing.T) {
	alice := newKey(t, "alice", nil)
	kr := publicRing(t, alice)
	sign := func(d time.Duration) []byte {
		msg, err := (&KeySigner{Entity: alice, Now: at(d)}).Sign(t.Context(), testPay.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	for _, tc := range []struct {
		name     string
		signedAt time.Duration
		now      time.Duration
		want     Reason
	}{
		{"a second ahead", time.Hour + time.Second, time.Hour, ""},
		{"minutes ahead", time.Hour + 4*time.Minute, time.Hour, ""},
		{"key and signature ahead of now", 30 * time.Second, -time.Minute, ""},
		{"beyond the skew", time.Hour + 6*time.Minute, time.Hour, ReasonFutureSig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Verify(sign(tc.signedAt), kr, testWant, t0.Add(tc.now))
			if got.Reason != tc.want {
				t.Errorf("Verify reason = %q (%s), want %q", got.Reason, got.Detail, tc.want)
			}
		})
	}
}
