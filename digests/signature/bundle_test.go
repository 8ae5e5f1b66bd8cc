package signature

import (
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

func TestVerifyBundle(t *testing.T) {
	alice, bob, mallory := newKey(t, "alice", nil), newKey(t, "bob", nil), newKey(t, "mallory", nil)
	revoked := newKey(t, "revoked", nil)
	manifest := []byte(`{"version":1,"members":[]}`)
	byRevoked, err := SignBundle(t.Context(), &KeySigner{Entity: revoked, Now: at(time.Hour)}, manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := revoked.RevokeKey(packet.KeyCompromised, "test", &packet.Config{Time: at(90 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	kr := publicRing(t, alice, bob, revoked)
	byAlice, err := SignBundle(t.Context(), &KeySigner{Entity: alice, Now: at(time.Hour)}, manifest)
	if err != nil {
		t.Fatal(err)
	}
	byBob, _ := SignBundle(t.Context(), &KeySigner{Entity: bob, Now: at(time.Hour)}, manifest)
	byMallory, _ := SignBundle(t.Context(), &KeySigner{Entity: mallory, Now: at(time.Hour)}, manifest)
	otherManifest, _ := SignBundle(t.Context(), &KeySigner{Entity: bob, Now: at(time.Hour)}, []byte(`{"version":1}`))
	imageSig := signWith(t, bob, testPay)
	now := t0.Add(2 * time.Hour)
	for _, tc := range []struct {
		name   string
		sigs   [][]byte
		quorum int
		ok     bool
		want   []Reason
	}{
		{"one key", [][]byte{byAlice}, 1, true, []Reason{""}},
		{"two keys", [][]byte{byAlice, byBob}, 2, true, []Reason{"", ""}},
		{"same key twice", [][]byte{byAlice, byAlice}, 2, false, []Reason{"", ""}},
		{"unsigned", nil, 1, false, nil},
		{"key outside the keyring", [][]byte{byMallory}, 1, false, []Reason{ReasonUnknownKey}},
		{"revoked key", [][]byte{byRevoked}, 1, false, []Reason{ReasonRevokedKey}},
		{"another manifest", [][]byte{otherManifest}, 1, false, []Reason{ReasonWrongDigest}},
		{"an image signature", [][]byte{imageSig}, 1, false, []Reason{ReasonWrongDigest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rep := VerifyBundle(manifest, tc.sigs, kr, tc.quorum, now)
			if rep.OK() != tc.ok {
				t.Errorf("OK = %v, want %v: %s", rep.OK(), tc.ok, rep.Error())
			}
			for i, w := range tc.want {
				if rep.Results[i].Reason != w {
					t.Errorf("signature %d: %q (%s), want %q", i+1, rep.Results[i].Reason, rep.Results[i].Detail, w)
				}
			}
		})
	}
}
