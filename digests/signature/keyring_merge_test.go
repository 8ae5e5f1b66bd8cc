package signature

import (
	"crypto"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// writeKeyFiles writes each export into its own file of a new folder.
func writeKeyFiles(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// A keyring folder holding an old export of a key and a later export that
// revokes it: the key is revoked whatever the file order.
func TestKeyringMergesRevocationAcrossExports(t *testing.T) {
	alice := newKey(t, "alice", nil)
	if err := alice.AddSigningSubkey(&packet.Config{Algorithm: packet.PubKeyAlgoEdDSA, Time: at(0)}); err != nil {
		t.Fatal(err)
	}
	byPrimary := signWith(t, alice, testPay)
	sub := alice.Subkeys[len(alice.Subkeys)-1]
	bySubkey := rawSigned(t, testPay.Marshal(), crypto.SHA256, sub.PrivateKey)
	old := publicBytes(t, alice)

	if err := alice.RevokeSubkey(&alice.Subkeys[len(alice.Subkeys)-1], packet.KeySuperseded, "test", &packet.Config{Time: at(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	subRevoked := publicBytes(t, alice)
	if err := alice.RevokeKey(packet.KeySuperseded, "test", &packet.Config{Time: at(30 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	revoked := publicBytes(t, alice)

	for _, tc := range []struct {
		name  string
		files map[string][]byte
		msg   []byte
	}{
		{"old export first", map[string][]byte{"a-old.gpg": old, "b-new.gpg": revoked}, byPrimary},
		{"old export last", map[string][]byte{"a-new.gpg": revoked, "b-old.gpg": old}, byPrimary},
		{"subkey, old export first", map[string][]byte{"a-old.gpg": old, "b-new.gpg": subRevoked}, bySubkey},
		{"subkey, old export last", map[string][]byte{"a-new.gpg": subRevoked, "b-old.gpg": old}, bySubkey},
		{"one file", map[string][]byte{"all.gpg": append(append([]byte{}, old...), revoked...)}, byPrimary},
	} {
		t.Run(tc.name, func(t *testing.T) {
			kr, err := ReadKeyring(writeKeyFiles(t, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			if len(kr.Entities) != 1 {
				t.Errorf("keyring holds %d entities for one key, want them merged into 1", len(kr.Entities))
			}
			got := Verify(tc.msg, kr, testWant, t0.Add(2*time.Hour))
			if got.Reason != ReasonRevokedKey {
				t.Errorf("Verify reason = %q (%s), want %q", got.Reason, got.Detail, ReasonRevokedKey)
			}
		})
	}
	// The old export alone still verifies: the merge, not the test keys,
	// makes the difference.
	kr, err := ParseKeyring(old)
	if err != nil {
		t.Fatal(err)
	}
	if got := Verify(byPrimary, kr, testWant, t0.Add(2*time.Hour)); !got.OK() {
		t.Errorf("old export alone: %q (%s), want it to count", got.Reason, got.Detail)
	}
}

// Two keys of the keyring share a key ID (a collision, or a forged key):
// the signature's issuer fingerprint picks the right one, whatever the order.
func TestFindKeyMatchesIssuerFingerprint(t *testing.T) {
	alice, mallory := newKey(t, "alice", nil), newKey(t, "mallory", nil)
	msg := signWith(t, alice, testPay)
	for _, order := range []string{"impostor first", "impostor last"} {
		t.Run(order, func(t *testing.T) {
			kr := publicRing(t, alice, mallory)
			var impostor *openpgp.Entity
			for _, e := range kr.Entities {
				if e.PrimaryKey.KeyId == mallory.PrimaryKey.KeyId {
					impostor = e
				}
			}
			impostor.PrimaryKey.KeyId = alice.PrimaryKey.KeyId
			if order == "impostor first" {
				kr.Entities = openpgp.EntityList{impostor, kr.Entities[0]}
			} else {
				kr.Entities = openpgp.EntityList{kr.Entities[0], impostor}
			}
			got := Verify(msg, kr, testWant, t0.Add(2*time.Hour))
			if !got.OK() || got.Primary != fingerprint(alice) {
				t.Errorf("Verify = %q (%s) by %s, want it to count for alice %s", got.Reason, got.Detail, got.Primary, fingerprint(alice))
			}
		})
	}
}
