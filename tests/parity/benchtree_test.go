package parity

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// benchTree is the StageX tree a benchmark writes: mirror/ holds the host's
// static busybox, which core-busybox installs as every tree's base image.
type benchTree struct {
	b            *testing.B
	root, mirror string
}

// newBenchTree starts the tree at root with its mirror and core-busybox.
func newBenchTree(b *testing.B, root string) *benchTree {
	b.Helper()
	t := &benchTree{b: b, root: root, mirror: filepath.Join(root, "mirror")}
	t.must(os.MkdirAll(t.mirror, 0o755))
	if out, err := exec.Command("cp", "/bin/busybox", filepath.Join(t.mirror, "busybox")).CombinedOutput(); err != nil {
		b.Fatalf("copy busybox: %v\n%s", err, out)
	}
	t.pkg("busybox", "\n[sources.busybox]\nhash = \"@SHA256:busybox@\"\nmirrors = [\"https://example.invalid/busybox/busybox\"]\n",
		"FROM scratch AS build\nADD --chmod=0755 fetch/busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\nFROM scratch AS package\nCOPY --from=build / /\n")
	return t
}

func (t *benchTree) must(err error) {
	if err != nil {
		t.b.Helper()
		t.b.Fatal(err)
	}
}

// pkg writes packages/core/<name> with the package.toml lines toml (after
// the name) and the Containerfile cf.
func (t *benchTree) pkg(name, toml, cf string) {
	dir := filepath.Join(t.root, "packages", "core", name)
	t.must(os.MkdirAll(dir, 0o755))
	t.must(os.WriteFile(filepath.Join(dir, "package.toml"), []byte("[package]\nname = \""+name+"\"\n"+toml), 0o644))
	t.must(os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(cf), 0o644))
}
