package signature

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// gpgHome is a throwaway GnuPG home; its agent is killed in cleanup.
type gpgHome struct {
	t   *testing.T
	dir string
}

// newGPGHome needs gpg; like every interop test it fails (not skips) when
// the tool is missing: tests/install-deps installs it.
func newGPGHome(t *testing.T) *gpgHome {
	t.Helper()
	for _, tool := range []string{"gpg", "gpgv", "gpgconf"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run tests/install-deps (package gnupg)", tool)
		}
	}
	// A short path keeps the agent socket under the unix socket length limit.
	dir, err := os.MkdirTemp("/tmp", "stvg")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o700)
	h := &gpgHome{t: t, dir: dir}
	t.Cleanup(func() {
		c := exec.Command("gpgconf", "--kill", "all")
		c.Env = h.env()
		c.Run()
		os.RemoveAll(dir)
	})
	return h
}

func (h *gpgHome) env() []string { return append(os.Environ(), "GNUPGHOME="+h.dir) }

// run runs gpg (or another GnuPG program) with stdin and returns stdout.
func (h *gpgHome) run(stdin []byte, prog string, args ...string) []byte {
	h.t.Helper()
	out, err := h.try(stdin, prog, args...)
	if err != nil {
		h.t.Fatalf("%s %s: %v", prog, strings.Join(args, " "), err)
	}
	return out
}

func (h *gpgHome) try(stdin []byte, prog string, args ...string) ([]byte, error) {
	if prog == "gpg" {
		args = append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)
	}
	c := exec.Command(prog, args...)
	c.Env = h.env()
	c.Stdin = bytes.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	if err := c.Run(); err != nil {
		return stdout.Bytes(), &gpgError{err: err, stderr: stderr.String()}
	}
	return stdout.Bytes(), nil
}

type gpgError struct {
	err    error
	stderr string
}

func (e *gpgError) Error() string { return e.err.Error() + ": " + e.stderr }

// genKey makes a key (algo "ed25519" or "rsa3072") usable for signing and
// returns its fingerprint; withSubkey adds a signing subkey.
func (h *gpgHome) genKey(name, algo string, withSubkey bool) (primary, subkey string) {
	h.t.Helper()
	h.run(nil, "gpg", "--quick-gen-key", name+" <"+name+"@example.org>", algo, "sign,cert", "never")
	if withSubkey {
		fpr := h.fingerprints(name)[0]
		h.run(nil, "gpg", "--quick-add-key", fpr, algo, "sign", "never")
	}
	fprs := h.fingerprints(name)
	primary = fprs[0]
	if withSubkey {
		subkey = fprs[1]
	}
	return primary, subkey
}

// fingerprints lists the primary and subkey fingerprints of a user ID.
func (h *gpgHome) fingerprints(name string) []string {
	out := h.run(nil, "gpg", "--with-colons", "--fingerprint", "--fingerprint", "--list-keys", name)
	var fprs []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" && len(f) > 9 {
			fprs = append(fprs, f[9])
		}
	}
	if len(fprs) == 0 {
		h.t.Fatalf("no fingerprint for %s", name)
	}
	return fprs
}

func TestGPGSignaturesVerify(t *testing.T) {
	h := newGPGHome(t)
	edFpr, _ := h.genKey("ed", "ed25519", false)
	rsaFpr, _ := h.genKey("rsa", "rsa3072", false)
	subPrimary, subFpr := h.genKey("sub", "ed25519", true)
	kr, err := ParseKeyring(h.run(nil, "gpg", "--export"))
	if err != nil {
		t.Fatal(err)
	}
	payload := testPay.Marshal()
	tests := []struct {
		name, user, wantSigner, wantPrimary string
		args                                []string
	}{
		{"ed25519 compressed", edFpr, edFpr, edFpr, nil},
		{"ed25519 uncompressed", edFpr, edFpr, edFpr, []string{"--compress-algo", "none"}},
		{"rsa compressed", rsaFpr, rsaFpr, rsaFpr, nil},
		{"rsa uncompressed", rsaFpr, rsaFpr, rsaFpr, []string{"--compress-algo", "none"}},
		{"signing subkey", subPrimary, subFpr, subPrimary, nil},
		{"signing subkey uncompressed", subFpr + "!", subFpr, subPrimary, []string{"-z", "0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"--local-user", tt.user}, tt.args...)
			msg := h.run(payload, "gpg", append(args, "--sign", "--no-armor", "--output", "-")...)
			pkts, _ := splitPackets(msg)
			if compressed := len(pkts) > 0 && pkts[0].tag == tagCompressed; compressed != (tt.args == nil) {
				t.Errorf("gpg message compressed = %v, want %v", compressed, tt.args == nil)
			}
			got := Verify(msg, kr, testWant, time.Now())
			if !got.OK() {
				t.Fatalf("Verify = %s: %s", got.Reason, got.Detail)
			}
			if !strings.EqualFold(got.Signer, tt.wantSigner) || !strings.EqualFold(got.Primary, tt.wantPrimary) {
				t.Errorf("signer %s primary %s, want %s %s", got.Signer, got.Primary, tt.wantSigner, tt.wantPrimary)
			}
		})
	}
	t.Run("sha1 from gpg", func(t *testing.T) {
		msg := h.run(payload, "gpg", "--local-user", rsaFpr, "--digest-algo", "SHA1", "--sign", "--no-armor", "--output", "-")
		if got := Verify(msg, kr, testWant, time.Now()); got.Reason != ReasonWeakHash {
			t.Errorf("Verify reason = %q, want %q", got.Reason, ReasonWeakHash)
		}
	})
	t.Run("clearsigned from gpg", func(t *testing.T) {
		msg := h.run(payload, "gpg", "--local-user", edFpr, "--clearsign", "--output", "-")
		if got := Verify(msg, kr, testWant, time.Now()); got.Reason != ReasonClearsigned {
			t.Errorf("Verify reason = %q, want %q", got.Reason, ReasonClearsigned)
		}
	})
	t.Run("detached from gpg", func(t *testing.T) {
		msg := h.run(payload, "gpg", "--local-user", edFpr, "--detach-sign", "--output", "-")
		if got := Verify(msg, kr, testWant, time.Now()); got.Reason != ReasonDetached {
			t.Errorf("Verify reason = %q, want %q", got.Reason, ReasonDetached)
		}
	})
}

func TestStevedoreSignaturesVerifyWithGPG(t *testing.T) {
	h := newGPGHome(t)
	for _, tc := range []struct{ name, algo string }{{"ed25519", "ed25519"}, {"rsa", "rsa3072"}} {
		t.Run(tc.name, func(t *testing.T) {
			fpr, _ := h.genKey(tc.name, tc.algo, false)
			secret := h.run(nil, "gpg", "--export-secret-keys", "--armor", fpr)
			e, err := ParseSecretKey(secret, nil)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := (&KeySigner{Entity: e, Now: time.Now}).Sign(t.Context(), testPay.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			sigFile := filepath.Join(t.TempDir(), "signature-1")
			os.WriteFile(sigFile, msg, 0o644)
			out := h.run(nil, "gpg", "--status-fd", "1", "--decrypt", sigFile)
			if !bytes.Contains(out, testPay.Marshal()) || !bytes.Contains(out, []byte("[GNUPG:] GOODSIG")) ||
				!bytes.Contains(out, []byte("VALIDSIG "+fpr)) {
				t.Errorf("gpg --decrypt did not report a good signature by %s:\n%s", fpr, out)
			}
			ring := filepath.Join(t.TempDir(), "ring.gpg")
			os.WriteFile(ring, h.run(nil, "gpg", "--export", fpr), 0o644)
			if out, err := h.try(nil, "gpgv", "--keyring", ring, "--status-fd", "1", sigFile); err != nil || !bytes.Contains(out, []byte("GOODSIG")) {
				t.Errorf("gpgv rejected stevedore's signature: %v\n%s", err, out)
			}
		})
	}
}

func TestGPGSignerAndEncryptedKey(t *testing.T) {
	h := newGPGHome(t)
	fpr, _ := h.genKey("signer", "ed25519", false)
	_, root, img := newTree(t)
	s := &GPGSigner{Program: "gpg", LocalUser: fpr, ExtraArgs: []string{"--homedir", h.dir, "--pinentry-mode", "loopback", "--passphrase", ""}}
	res, err := SignImage(t.Context(), img, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	again, err := SignImage(t.Context(), img, s, time.Now())
	if err != nil || !again.Already || again.Path != res.Path {
		t.Errorf("second SignImage = %+v, %v, want Already at %s", again, err, res.Path)
	}
	kr, err := ParseKeyring(h.run(nil, "gpg", "--export"))
	if err != nil {
		t.Fatal(err)
	}
	if rep := VerifyImage(img, kr, 1, time.Now()); !rep.OK() {
		var b bytes.Buffer
		rep.Write(&b)
		t.Errorf("VerifyImage of a gpg signature made through GPGSigner:\n%s", b.String())
	}
	_ = root

	// An encrypted secret key from gpg needs the passphrase.
	h.run(nil, "gpg", "--passphrase", "pw", "--quick-gen-key", "enc <enc@example.org>", "ed25519", "sign", "never")
	secret := h.run(nil, "gpg", "--passphrase", "pw", "--export-secret-keys", "enc")
	if _, err := ParseSecretKey(secret, nil); err == nil {
		t.Error("ParseSecretKey of an encrypted key without passphrase: nil error")
	}
	if _, err := ParseSecretKey(secret, func() ([]byte, error) { return []byte("wrong"), nil }); err == nil {
		t.Error("ParseSecretKey with a wrong passphrase: nil error")
	}
	if _, err := ParseSecretKey(secret, func() ([]byte, error) { return []byte("pw"), nil }); err != nil {
		t.Errorf("ParseSecretKey with the passphrase: %v", err)
	}
}

// TestKeySignerPicksKey checks that stevedore signs with the primary key when
// it may sign (Debian 12's Podman and Skopeo reject subkey signatures), and
// with the signing subkey when the primary key is certify-only.
func TestKeySignerPicksKey(t *testing.T) {
	h := newGPGHome(t)
	both, _ := h.genKey("both", "ed25519", true)
	h.run(nil, "gpg", "--quick-gen-key", "certonly <certonly@example.org>", "ed25519", "cert", "never")
	certOnly := h.fingerprints("certonly")[0]
	h.run(nil, "gpg", "--quick-add-key", certOnly, "ed25519", "sign", "never")
	subOfCertOnly := h.fingerprints("certonly")[1]
	kr, err := ParseKeyring(h.run(nil, "gpg", "--export"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, fpr, wantSigner string }{
		{"primary may sign", both, both},
		{"certify-only primary", certOnly, subOfCertOnly},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := ParseSecretKey(h.run(nil, "gpg", "--export-secret-keys", tc.fpr), nil)
			if err != nil {
				t.Fatal(err)
			}
			msg, err := (&KeySigner{Entity: e, Now: time.Now}).Sign(t.Context(), testPay.Marshal())
			if err != nil {
				t.Fatal(err)
			}
			got := Verify(msg, kr, testWant, time.Now())
			if !got.OK() || !strings.EqualFold(got.Signer, tc.wantSigner) || !strings.EqualFold(got.Primary, tc.fpr) {
				t.Errorf("Verify = %+v, want OK, signer %s, primary %s", got, tc.wantSigner, tc.fpr)
			}
			gpgOut := h.run(msg, "gpg", "--status-fd", "1", "--decrypt")
			if !bytes.Contains(gpgOut, []byte("GOODSIG")) {
				t.Errorf("gpg rejects it:\n%s", gpgOut)
			}
		})
	}
}
