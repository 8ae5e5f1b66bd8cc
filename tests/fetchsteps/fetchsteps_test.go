package fetchsteps

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// stevedore is the binary under test (testenv.Stevedore).
func stevedore(t *testing.T) string {
	t.Helper()
	bin, err := testenv.Stevedore("../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// writeTree writes a busybox image and a package whose first RUN downloads
// from url (a fetch step) and whose second RUN works offline on the result.
func writeTree(t *testing.T, url string) string {
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
		"packages/core/fetcher/package.toml":  "[package]\nname = \"fetcher\"\n",
		"packages/core/fetcher/Containerfile": "FROM stagex/core-busybox\nRUN wget -q -O /downloaded " + url + "\nRUN --network=none cp /downloaded /built\n",
	}
	for p, c := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(c), 0o644)
	}
	os.MkdirAll(filepath.Join(root, "mirror"), 0o755)
	os.WriteFile(filepath.Join(root, "mirror", "busybox"), bb, 0o755)
	return root
}

func run(t *testing.T, bin, root string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--tree", root}, args...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestFetchStepNeedsOptInAndTravelsInBundle(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	bin := stevedore(t)
	// On the host's external address: a fetch step has its own network
	// namespace and never reaches the host's loopback.
	l, err := net.Listen("tcp", externalIPv4(t)+":0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("crate index\n"))
	})}
	go srv.Serve(l)
	defer srv.Close()
	url := "http://" + l.Addr().String() + "/index"
	root := writeTree(t, url)
	if out, err := run(t, bin, root, "fetch", "--offline", "--mirror-dir", filepath.Join(root, "mirror"), "--progress=quiet"); err != nil {
		t.Fatalf("fetch: %v\n%s", err, out)
	}

	// Without the opt-in the fetch step has no network, and says so.
	out, err := run(t, bin, root, "build", "--progress=plain")
	if err == nil || !strings.Contains(out, "packages/core/fetcher/Containerfile:2") || !strings.Contains(out, "--network-for-fetch-steps") {
		t.Fatalf("build without opt-in: err %v\n%s", err, out)
	}

	// With it, exactly the fetch step gets the network, and is recorded.
	out, err = run(t, bin, root, "build", "--network-for-fetch-steps", "--progress=plain")
	if err != nil {
		t.Fatalf("build with opt-in: %v\n%s", err, out)
	}
	if strings.Count(out, "runs with outbound network access") != 1 || !strings.Contains(out, "recorded fetch step layer") {
		t.Errorf("log does not mark exactly one networked step:\n%s", out)
	}
	want := digest(t, bin, root)

	// A bundle carries the recorded step; an offline host with no network
	// namespace route at all rebuilds to the same digest without it.
	bundle := filepath.Join(t.TempDir(), "b.bundle")
	if out, err := run(t, bin, root, "bundle", "-o", bundle, "core-fetcher"); err != nil {
		t.Fatalf("bundle: %v\n%s", err, out)
	}
	offline := t.TempDir()
	// The recipes with their pins: stevedore.fetch-steps vouches for the
	// recorded layer the bundle carries.
	exec.Command("cp", "-a", filepath.Join(root, "packages"), filepath.Join(root, "stevedore.fetch-steps"), offline).Run()
	srv.Close()
	cmd := exec.Command("unshare", "-n", bin, "--tree", offline, "build", "--bundle", bundle, "--progress=plain", "core-fetcher")
	outb, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(outb), "reused the recorded fetch step layer") {
		t.Fatalf("offline build from the bundle: %v\n%s", err, outb)
	}
	if got := digest(t, bin, offline); got != want {
		t.Errorf("offline digest %s, online %s", got, want)
	}
}

// externalIPv4 is an address of this host other than loopback.
func externalIPv4(t *testing.T) string {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address to serve on")
	return ""
}

func digest(t *testing.T, bin, root string) string {
	t.Helper()
	if out, err := run(t, bin, root, "digests", "core-fetcher"); err != nil {
		t.Fatalf("digests: %v\n%s", err, out)
	}
	data, err := os.ReadFile(filepath.Join(root, "digests", "core.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasSuffix(l, " core-fetcher") {
			return strings.Fields(l)[0]
		}
	}
	t.Fatalf("no core-fetcher in %s", data)
	return ""
}
