package exchange

import (
	"archive/tar"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bundleTargets have dependencies (bootstrap-seed, core-filesystem) that
// travel as images, and sources of their own.
var bundleTargets = []string{"core-hello", "core-box"}

// TestBundleOfflineRoundTrip: bundle on the built tree, unbundle into a
// copy of the recipes with no fetch/, out/ or mirror, build there inside
// `unshare -n` (a network namespace with no route at all): the same
// digests.
func TestBundleOfflineRoundTrip(t *testing.T) {
	slow(t, "unshare")
	bin, tree := built(t)
	file := filepath.Join(t.TempDir(), "core.bundle")
	must(t, tree, bin, append([]string{"--tree", tree, "bundle", "-o", file}, bundleTargets...)...)
	dst := recipesOnly(t)
	must(t, dst, bin, "--tree", dst, "unbundle", file)
	args := append([]string{"-n", bin, "--tree", dst, "build", "--progress=quiet"}, bundleTargets...)
	must(t, dst, "unshare", args...)
	for _, target := range bundleTargets {
		if got, want := manifestDigest(t, dst, target), manifestDigest(t, tree, target); got != want {
			t.Errorf("%s built offline from the bundle: %s, want %s", target, got, want)
		}
	}
}

// TestCorruptBundleRefused: one flipped byte in one member makes unbundle
// fail naming that member, with nothing unpacked.
func TestCorruptBundleRefused(t *testing.T) {
	slow(t)
	bin, tree := built(t)
	dir := t.TempDir()
	good, bad := filepath.Join(dir, "good.bundle"), filepath.Join(dir, "bad.bundle")
	must(t, tree, bin, append([]string{"--tree", tree, "bundle", "-o", good}, bundleTargets...)...)
	const member = "fetch/core/hello/hello-2.1.0.tar.xz"
	flipByte(t, good, bad, member)
	dst := recipesOnly(t)
	out, err := run(dst, bin, "--tree", dst, "unbundle", bad)
	if err == nil || !strings.Contains(err.Error(), "member "+member+" is corrupt") {
		t.Fatalf("unbundle of a corrupt bundle: %v (%s), want an error naming %s", err, out, member)
	}
	if !strings.Contains(err.Error(), "exit status 1") {
		t.Errorf("unbundle of a corrupt bundle: %v, want exit status 1", err)
	}
	for _, d := range []string{"fetch", "out"} {
		if _, err := os.Stat(filepath.Join(dst, d)); err == nil {
			t.Errorf("%s/ was created from a corrupt bundle", d)
		}
	}
}

// recipesOnly copies examples/ without anything fetched or built.
func recipesOnly(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "tree")
	must(t, "", "cp", "-a", "../../examples", dst)
	for _, d := range []string{"out", "fetch", "digests", ".stevedore", "mirror"} {
		os.RemoveAll(filepath.Join(dst, d))
	}
	links, _ := filepath.Glob(filepath.Join(dst, "packages", "*", "*", "fetch"))
	for _, l := range links {
		os.RemoveAll(l)
	}
	return dst
}

// flipByte copies the bundle src to dst with the first byte of member's
// data inverted.
func flipByte(t *testing.T, src, dst, member string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	tr, tw := tar.NewReader(in), tar.NewWriter(out)
	found := false
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if hdr.Name == member {
			b[0] ^= 0xff
			found = true
		}
		tw.WriteHeader(hdr)
		tw.Write(b)
	}
	if err := tw.Close(); err != nil || !found {
		t.Fatalf("rewrite bundle: %v (member %s found: %v)", err, member, found)
	}
}
