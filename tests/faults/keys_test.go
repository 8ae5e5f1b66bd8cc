package faults

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// genKey makes an unencrypted ed25519 OpenPGP key with gpg in a throwaway
// home and returns the secret key file and the public keyring file.
func genKey(t *testing.T, dir string) (secret, public string) {
	t.Helper()
	home, err := os.MkdirTemp("/tmp", "stvf")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	gpg := func(args ...string) []byte {
		c := exec.Command("gpg", append([]string{"--batch", "--pinentry-mode", "loopback", "--passphrase", ""}, args...)...)
		c.Env = append(os.Environ(), "GNUPGHOME="+home)
		out, err := c.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v", args, err)
		}
		return out
	}
	t.Cleanup(func() {
		c := exec.Command("gpgconf", "--kill", "all")
		c.Env = append(os.Environ(), "GNUPGHOME="+home)
		c.Run()
		os.RemoveAll(home)
	})
	gpg("--quick-gen-key", "faults <faults@example.org>", "ed25519", "sign,cert", "never")
	secret, public = filepath.Join(dir, "key.sec"), filepath.Join(dir, "keyring.pub")
	for file, args := range map[string][]string{secret: {"--export-secret-keys"}, public: {"--export"}} {
		if err := os.WriteFile(file, gpg(args...), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return secret, public
}
