package hardening

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// stevedore is the binary under test; building needs root.
func stevedore(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	bin, err := testenv.Stevedore("../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// writeTree writes a tree with a busybox image (core-busybox, from the
// host's static busybox) and one package core-<name> per entry of pkgs,
// each a Containerfile, and fetches its sources.
func writeTree(t *testing.T, bin string, pkgs map[string]string) string {
	t.Helper()
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("needs Debian's busybox-static: %v", err)
	}
	sum := sha256.Sum256(bb)
	root := t.TempDir()
	files := map[string]string{
		"packages/core/busybox/package.toml":  fmt.Sprintf("[package]\nname = \"busybox\"\n\n[sources.busybox]\nhash = %q\nmirrors = [\"https://example.invalid/busybox\"]\n", hex.EncodeToString(sum[:])),
		"packages/core/busybox/Containerfile": "FROM scratch AS build\nADD --chmod=0755 fetch/busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nFROM scratch\nCOPY --from=build / /\n",
	}
	for name, cf := range pkgs {
		files["packages/core/"+name+"/package.toml"] = "[package]\nname = \"" + name + "\"\n"
		files["packages/core/"+name+"/Containerfile"] = cf
	}
	for p, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		if err := os.WriteFile(filepath.Join(root, p), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(root, "mirror"), 0o755)
	os.WriteFile(filepath.Join(root, "mirror", "busybox"), bb, 0o755)
	if out, err := run(bin, root, "fetch", "--offline", "--mirror-dir", filepath.Join(root, "mirror"), "--progress=quiet"); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}
	return root
}

// run runs stevedore --tree root args and returns its combined output.
func run(bin, root string, args ...string) (string, error) {
	cmd := exec.Command(bin, append([]string{"--tree", root}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// mountsUnder lists the mount points of this mount namespace under dir.
func mountsUnder(t *testing.T, dir string) []string {
	t.Helper()
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) > 4 && (fields[4] == dir || strings.HasPrefix(fields[4], dir+"/")) {
			out = append(out, fields[4])
		}
	}
	return out
}
