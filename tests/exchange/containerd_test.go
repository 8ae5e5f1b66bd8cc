package exchange

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
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

// TestContainerdLoadCorrupt: a layer of out/ that does not match its
// digest stops the import, naming the blob, and creates no image.
func TestContainerdLoadCorrupt(t *testing.T) {
	slow(t, "containerd", "ctr")
	bin, orig := built(t)
	tree := filepath.Join(t.TempDir(), "tree")
	must(t, "", "cp", "-a", orig, tree)
	var m v1.Manifest
	readBlobJSON(t, tree, manifestDigest(t, tree, "core-box"), &m)
	layer := m.Layers[0].Digest
	p := filepath.Join(tree, "out", "core-box", "blobs", "sha256", layer.Hex)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0xff
	os.Chmod(p, 0o644)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := startContainerd(t)
	_, err = run(tree, bin, "--tree", tree, "load", "--containerd", sock, "--namespace", "x", "core-box")
	if err == nil || !strings.Contains(err.Error(), layer.String()) {
		t.Fatalf("load of a corrupt layout: %v, want an error naming %s", err, layer)
	}
	if ls := must(t, "", "ctr", "--address", sock, "-n", "x", "images", "ls", "-q"); strings.TrimSpace(ls) != "" {
		t.Errorf("images created anyway: %q", ls)
	}
}
