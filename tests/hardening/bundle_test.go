package hardening

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// writeKey writes name's secret key to dir/name.sec and its public key to
// dir/name.pub.
func writeKey(t *testing.T, dir, name string) {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		t.Fatal(err)
	}
	var sec, pub bytes.Buffer
	if err := e.SerializePrivate(&sec, nil); err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, name+".sec"), sec.Bytes(), 0o600)
	os.WriteFile(filepath.Join(dir, name+".pub"), pub.Bytes(), 0o644)
}

// unbundle --keyring requires signatures by the keyring's keys over the
// bundle's manifest; an unsigned bundle, or one signed by another key,
// writes nothing.
func TestUnbundleRequiresSignatures(t *testing.T) {
	bin := stevedore(t)
	root := writeTree(t, bin, map[string]string{"app": "FROM stagex/core-busybox\nRUN echo app > /app\n"})
	if out, err := run(bin, root, "build", "--progress=quiet", "core-busybox"); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	keys := t.TempDir()
	writeKey(t, keys, "alice")
	writeKey(t, keys, "mallory")
	bundles := t.TempDir()
	for name, args := range map[string][]string{
		"signed":   {"--sign-key", filepath.Join(keys, "alice.sec")},
		"mallory":  {"--sign-key", filepath.Join(keys, "mallory.sec")},
		"unsigned": nil,
	} {
		a := append([]string{"bundle", "-o", filepath.Join(bundles, name)}, args...)
		if out, err := run(bin, root, append(a, "core-app")...); err != nil {
			t.Fatalf("bundle %s: %v\n%s", name, err, out)
		}
	}
	fresh := func() string {
		dir := t.TempDir()
		if out, err := exec.Command("cp", "-a", filepath.Join(root, "packages"), dir).CombinedOutput(); err != nil {
			t.Fatalf("%v %s", err, out)
		}
		return dir
	}
	keyring := filepath.Join(keys, "alice.pub")
	for _, tc := range []struct {
		bundle string
		ok     bool
		want   string
	}{
		{"signed", true, "bundle signed by 1 key"},
		{"mallory", false, "0 of the required 1 keys signed this bundle"},
		{"unsigned", false, "it carries no signature"},
	} {
		t.Run(tc.bundle, func(t *testing.T) {
			dest := fresh()
			out, err := run(bin, dest, "unbundle", "--keyring", keyring, filepath.Join(bundles, tc.bundle))
			if (err == nil) != tc.ok || !strings.Contains(out, tc.want) {
				t.Fatalf("unbundle %s: %v, want ok=%v and %q:\n%s", tc.bundle, err, tc.ok, tc.want, out)
			}
			_, statErr := os.Stat(filepath.Join(dest, "out", "core-busybox", "index.json"))
			if (statErr == nil) != tc.ok {
				t.Errorf("unbundle %s: out/core-busybox written = %v, want %v", tc.bundle, statErr == nil, tc.ok)
			}
		})
	}
}
