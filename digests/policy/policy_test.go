package policy

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/digests/signature"
)

func keyring(t *testing.T, names ...string) (*signature.Keyring, []*openpgp.Entity) {
	t.Helper()
	var b bytes.Buffer
	var es []*openpgp.Entity
	for _, n := range names {
		e, err := openpgp.NewEntity(n, "", n+"@example.org", &packet.Config{
			Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return time.Unix(1e9, 0) }})
		if err != nil {
			t.Fatal(err)
		}
		e.Serialize(&b)
		es = append(es, e)
	}
	kr, err := signature.ParseKeyring(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return kr, es
}

func TestWrite(t *testing.T) {
	kr, _ := keyring(t, "alice", "bob")
	dir := t.TempDir()
	res, err := Write(Options{Keyring: kr, Lookaside: "file:///srv/signatures", Scope: "127.0.0.1:5000/stagex", Registry: "stagex", Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Default    []map[string]string
		Transports map[string]map[string][]requirement
	}
	b, _ := os.ReadFile(res.Policy)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]map[string]string{{"type": "reject"}}, got.Default); diff != "" {
		t.Errorf("default (-want +got):\n%s", diff)
	}
	reqs := got.Transports["docker"]["127.0.0.1:5000/stagex"]
	if len(reqs) != 2 || len(res.Keys) != 2 {
		t.Fatalf("requirements = %+v, want one per key", reqs)
	}
	signed, _ := signature.NormalizeNamespace("stagex")
	for i, r := range reqs {
		want := requirement{Type: "signedBy", KeyType: "GPGKeys", KeyPath: res.Keys[i],
			SignedIdentity: &signedIdentity{Type: "remapIdentity", Prefix: "127.0.0.1:5000/stagex", SignedPrefix: signed}}
		if diff := cmp.Diff(want, r); diff != "" {
			t.Errorf("requirement %d (-want +got):\n%s", i, diff)
		}
		if _, err := signature.ReadKeyring(r.KeyPath); err != nil {
			t.Errorf("key file %s: %v", r.KeyPath, err)
		}
	}
	yaml, _ := os.ReadFile(filepath.Join(dir, "registries.d", "stevedore.yaml"))
	if want := "docker:\n  \"127.0.0.1:5000/stagex\":\n    lookaside: \"file:///srv/signatures\"\n"; !strings.HasSuffix(string(yaml), want) {
		t.Errorf("registries.d/stevedore.yaml =\n%s\nwant it to end with\n%s", yaml, want)
	}
}

func TestWriteNoRemapWhenScopeIsSigned(t *testing.T) {
	kr, _ := keyring(t, "alice")
	dir := t.TempDir()
	if _, err := Write(Options{Keyring: kr, Lookaside: "https://example.org/sigs", Registry: "127.0.0.1:5000/stagex", Dir: dir}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "policy.json"))
	if bytes.Contains(b, []byte("remapIdentity")) {
		t.Errorf("policy.json remaps an identity that needs no remapping:\n%s", b)
	}
}

func TestWriteErrors(t *testing.T) {
	kr, _ := keyring(t, "alice")
	for name, o := range map[string]Options{
		"bad lookaside": {Keyring: kr, Lookaside: "/no/scheme", Registry: "stagex"},
		"bad scope":     {Keyring: kr, Lookaside: "file:///x", Registry: "stagex", Scope: "a:b"},
		"no keys":       {Keyring: &signature.Keyring{}, Lookaside: "file:///x", Registry: "stagex"},
	} {
		t.Run(name, func(t *testing.T) {
			o.Dir = t.TempDir()
			if _, err := Write(o); err == nil {
				t.Error("Write: nil error")
			}
		})
	}
}
