package baseimages

import (
	"path/filepath"
	"testing"
)

// TestBundleCarriesBaseImages: an image resolved from an archive (pinned in
// stevedore.lock, kept in the image store) travels in a bundle; a tree
// holding only the recipe builds it under `unshare -n` with --offline to
// the same digest.
func TestBundleCarriesBaseImages(t *testing.T) {
	slow(t, "unshare")
	bin, tree := built(t)
	want := manifestDigest(t, tree, "user-app")
	archive := filepath.Join(t.TempDir(), "box.tar")
	must(t, tree, bin, "--tree", tree, "export", "--format", "oci-archive", "-o", archive, "core-box")
	const ref = "docker.io/stagex/core-box:latest"
	app := appTree(t, ref)
	must(t, app, bin, build(bin, app, "--image-source", "oci-archive:"+archive)...)
	b := filepath.Join(t.TempDir(), "app.bundle")
	must(t, app, bin, "--tree", app, "bundle", "-o", b, "user-app")

	offline := appTree(t, ref)
	must(t, offline, "unshare", append([]string{"-n", bin}, build(bin, offline, "--offline", "--bundle", b)...)...)
	if got := manifestDigest(t, offline, "user-app"); got != want {
		t.Errorf("user-app from the bundle %s, want %s", got, want)
	}
	if lines := lockLines(t, offline); len(lines) != 1 {
		t.Errorf("the bundle did not bring the lock file: %q", lines)
	}
}
