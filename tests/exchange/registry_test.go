package exchange

import (
	"github.com/stevedore-build/stevedore/tests/testenv"
	"path/filepath"
	"strings"
	"testing"
)

// TestPushPullByDigest pushes core-box to a real docker-registry, then
// reads the tag and both digests back with skopeo and copies the image
// back by its manifest digest: every digest is the one out/ has.
func TestPushPullByDigest(t *testing.T) {
	slow(t, "docker-registry", "skopeo")
	bin, tree := built(t)
	top, manifest := topDigest(t, tree, "core-box"), manifestDigest(t, tree, "core-box")
	addr, _ := testenv.StartRegistry(t)
	repo := addr + "/stagex/core-box"
	out := must(t, tree, bin, "--tree", tree, "push", "core-box", repo+":latest")
	want := "pushed " + repo + "@" + top + " (image manifest " + manifest + ")"
	if strings.TrimSpace(out) != want {
		t.Errorf("push printed %q, want %q", out, want)
	}
	for _, tc := range []struct{ ref, want string }{
		{repo + ":latest", top},
		{repo + "@" + top, top},
		{repo + "@" + manifest, manifest},
	} {
		raw := must(t, "", "skopeo", "inspect", "--tls-verify=false", "--raw", "docker://"+tc.ref)
		if got := sha(raw); got != tc.want {
			t.Errorf("registry %s: digest %s, want %s", tc.ref, got, tc.want)
		}
	}
	dst := filepath.Join(t.TempDir(), "pulled")
	must(t, "", "skopeo", "copy", "--src-tls-verify=false", "docker://"+repo+"@"+manifest, "oci:"+dst)
	raw := must(t, "", "skopeo", "inspect", "--raw", "oci:"+dst)
	if got := sha(raw); got != manifest {
		t.Errorf("pulled back by digest: manifest %s, want %s", got, manifest)
	}
}
