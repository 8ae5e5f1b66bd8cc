package exchange

import (
	"strings"
	"testing"
)

// TestContainerdLoad imports core-box into a private containerd and finds
// it with ctr, named stagex/core-box:latest, pointing to out/'s image
// index, with the recorded manifest in the content store.
func TestContainerdLoad(t *testing.T) {
	slow(t, "containerd", "ctr")
	bin, tree := built(t)
	top, manifest := topDigest(t, tree, "core-box"), manifestDigest(t, tree, "core-box")
	sock := startContainerd(t)
	const ns = "stevedore-test"
	out := must(t, tree, bin, "--tree", tree, "load", "--containerd", sock, "--namespace", ns, "core-box")
	if want := "loaded stagex/core-box:latest@" + top; !strings.HasPrefix(out, want) {
		t.Errorf("load printed %q, want it to start with %q", out, want)
	}
	ls := must(t, "", "ctr", "--address", sock, "-n", ns, "images", "ls")
	if !hasRow(ls, "stagex/core-box:latest", top) {
		t.Errorf("ctr images ls:\n%s\nwant a row stagex/core-box:latest with %s", ls, top)
	}
	content := must(t, "", "ctr", "--address", sock, "-n", ns, "content", "ls", "-q")
	if !strings.Contains(content, manifest) {
		t.Errorf("ctr content ls has no %s:\n%s", manifest, content)
	}
}

// hasRow reports whether a table has a line whose first field is name and
// which contains digest.
func hasRow(table, name, digest string) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && f[0] == name && strings.Contains(line, digest) {
			return true
		}
	}
	return false
}
