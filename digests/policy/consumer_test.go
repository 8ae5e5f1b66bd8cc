package policy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/digests/internal/ocitest"
	"github.com/stevedore-build/stevedore/digests/signature"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// TestSkopeoAcceptsSignedImage pushes an image to a registry on 127.0.0.1,
// signs it with stevedore, writes a policy with stevedore and pulls it with
// Skopeo: accepted with the signature, rejected once the signature is
// tampered with or missing. The tools are installed by tests/install-deps;
// a missing tool fails the test.
func TestSkopeoAcceptsSignedImage(t *testing.T) {
	for _, tool := range []string{"skopeo", "docker-registry"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run tests/install-deps (packages skopeo, docker-registry)", tool)
		}
	}
	tree := t.TempDir()
	ocitest.WriteLayout(t, digests.OutDir(tree, "core-hello"), "1.0")
	addr, _ := testenv.StartRegistry(t)
	scope := addr + "/stagex"
	work := t.TempDir()
	permissive := filepath.Join(work, "permissive.json")
	os.WriteFile(permissive, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644)
	skopeo(t, "copy", "--policy", permissive, "--dest-tls-verify=false",
		"oci:"+digests.OutDir(tree, "core-hello"), "docker://"+scope+"/core-hello:1.0")

	// A primary-key signature: Debian 12's skopeo rejects subkey signatures.
	e, err := openpgp.NewEntity("alice", "", "alice@example.org", &packet.Config{
		Algorithm: packet.PubKeyAlgoEdDSA, Time: func() time.Time { return time.Now().Add(-time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	sigRoot := filepath.Join(tree, "signatures")
	img, err := signature.ReadTarget(tree, sigRoot, "stagex", "core-hello")
	if err != nil {
		t.Fatal(err)
	}
	res, err := signature.SignImage(t.Context(), img, &signature.KeySigner{Entity: e, Now: time.Now}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var pub bytes.Buffer
	e.Serialize(&pub)
	kr, err := signature.ParseKeyring(pub.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(work, "conf")
	if _, err := Write(Options{Keyring: kr, Lookaside: "file://" + sigRoot, Scope: scope, Registry: "stagex", Dir: conf}); err != nil {
		t.Fatal(err)
	}
	pull := func() error {
		return skopeoTry("copy", "--policy", filepath.Join(conf, "policy.json"), "--registries.d", filepath.Join(conf, "registries.d"),
			"--remove-signatures", "--src-tls-verify=false", "docker://"+scope+"/core-hello:1.0", "oci:"+filepath.Join(t.TempDir(), "pulled")+":x")
	}
	if err := pull(); err != nil {
		t.Fatalf("skopeo rejected a stevedore-signed image: %v", err)
	}
	good, _ := os.ReadFile(res.Path)
	i := bytes.Index(good, []byte("core-hello"))
	bad := append([]byte{}, good...)
	bad[i] ^= 0x20
	os.WriteFile(res.Path, bad, 0o644)
	if err := pull(); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("skopeo with a tampered signature: err = %v, want a signature rejection", err)
	}
	os.Remove(res.Path)
	if err := pull(); err == nil || !strings.Contains(err.Error(), "signature") {
		t.Errorf("skopeo without signatures: err = %v, want a signature rejection", err)
	} else {
		t.Logf("rejected as expected: %v", err)
	}
}

func skopeo(t *testing.T, args ...string) {
	t.Helper()
	if err := skopeoTry(args...); err != nil {
		t.Fatal(err)
	}
}

func skopeoTry(args ...string) error {
	cmd := exec.Command("skopeo", args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("skopeo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}
