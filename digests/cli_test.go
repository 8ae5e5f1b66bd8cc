package digests_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/digests/internal/ocitest"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// stevedoreBin is the binary under test (testenv.Stevedore).
func stevedoreBin(t *testing.T) string {
	t.Helper()
	bin, err := testenv.Stevedore("..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

type cli struct {
	t    *testing.T
	bin  string
	tree string
	env  []string
}

// run runs stevedore --tree <tree> args and checks the exit code.
func (c *cli) run(wantCode int, args ...string) string {
	c.t.Helper()
	cmd := exec.Command(c.bin, append([]string{"--tree", c.tree}, args...)...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader("")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	if code != wantCode {
		c.t.Fatalf("stevedore %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, out.String())
	}
	return out.String()
}

func mustContain(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("output lacks %q:\n%s", w, got)
		}
	}
}

func TestCLI(t *testing.T) {
	c := &cli{t: t, bin: stevedoreBin(t), tree: t.TempDir()}
	gcc := ocitest.WriteLayout(t, digests.OutDir(c.tree, "core-gcc"), "13")
	ocitest.WriteLayout(t, digests.OutDir(c.tree, "user-foo-bar"), "")

	for _, cmd := range []string{"digests", "verify", "sign", "verify-signatures", "policy"} {
		mustContain(t, c.run(0, cmd, "--help"), "Examples:")
	}
	mustContain(t, c.run(0, "digests"), gcc.Hex+" core-gcc -> digests/core.txt")
	mustContain(t, c.run(0, "verify"), "2 of 2 target(s) match")
	c.run(2, "verify", "nodash")
	c.run(2, "verify", "--quorum", "2")
	os.WriteFile(digests.StagePath(c.tree, "core"), []byte(strings.Repeat("0", 64)+" core-gcc\n"), 0o644)
	mustContain(t, c.run(1, "verify"), "MISMATCH core-gcc", "1 of 2")
	c.run(0, "digests", "core-gcc")

	keys := t.TempDir()
	alice, bob := writeKeys(t, keys)
	c.run(2, "sign", "core-gcc")
	c.run(1, "sign", "--key", alice, "core-gcc") // encrypted, no passphrase, no terminal
	mustContain(t, c.run(0, "sign", "--key", alice, "--passphrase-file", filepath.Join(keys, "pw"), "core-gcc"), "signature-1")
	c.env = []string{"STEVEDORE_PASSPHRASE=pw"}
	mustContain(t, c.run(0, "sign", "--key", alice, "core-gcc"), "already signed")
	mustContain(t, c.run(0, "sign", "--key", bob, "core-gcc"), "signature-2")

	ring := filepath.Join(keys, "ring.asc")
	mustContain(t, c.run(0, "verify-signatures", "--keyring", ring, "--quorum", "2", "core-gcc"), "OK core-gcc", "counts")
	mustContain(t, c.run(1, "verify-signatures", "--keyring", ring, "--quorum", "3", "core-gcc"), "FAIL core-gcc")
	c.run(1, "verify-signatures", "--keyring", ring, "--quorum", "1", "user-foo-bar")
	c.run(2, "verify-signatures", "--keyring", ring, "core-gcc")
	mustContain(t, c.run(0, "verify", "--signatures", "--keyring", ring, "--quorum", "2", "core-gcc"), "ok       core-gcc", "OK core-gcc")

	conf := filepath.Join(t.TempDir(), "conf")
	mustContain(t, c.run(0, "policy", "--keyring", ring, "--lookaside", "file://"+filepath.Join(c.tree, "signatures"),
		"--scope", "127.0.0.1:5000/stagex", "-o", conf), "2 key(s), all required", "M of N")
	for _, f := range []string{"policy.json", "registries.d/stevedore.yaml"} {
		if _, err := os.Stat(filepath.Join(conf, f)); err != nil {
			t.Error(err)
		}
	}
}

// writeKeys writes alice's armored, passphrase-protected secret key, bob's
// binary secret key, the passphrase file and ring.asc with both public keys
// as two armored blocks.
func writeKeys(t *testing.T, dir string) (alice, bob string) {
	t.Helper()
	var ring bytes.Buffer
	paths := []string{filepath.Join(dir, "alice.asc"), filepath.Join(dir, "bob.gpg")}
	for i, name := range []string{"alice", "bob"} {
		e, err := openpgp.NewEntity(name, "", name+"@example.org", &packet.Config{
			Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return time.Now().Add(-time.Hour) }})
		if err != nil {
			t.Fatal(err)
		}
		w, _ := armor.Encode(&ring, openpgp.PublicKeyType, nil)
		e.Serialize(w)
		w.Close()
		ring.WriteString("\n")
		var sec bytes.Buffer
		if i == 0 {
			if err := e.EncryptPrivateKeys([]byte("pw"), nil); err != nil {
				t.Fatal(err)
			}
			aw, _ := armor.Encode(&sec, openpgp.PrivateKeyType, nil)
			e.SerializePrivateWithoutSigning(aw, nil)
			aw.Close()
		} else {
			e.SerializePrivate(&sec, nil)
		}
		os.WriteFile(paths[i], sec.Bytes(), 0o600)
	}
	os.WriteFile(filepath.Join(dir, "pw"), []byte("pw\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "ring.asc"), ring.Bytes(), 0o644)
	return paths[0], paths[1]
}
