package parity

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/plan"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// parityTrees are the recipe trees whose every target must build to the
// same manifest digest with stevedore and with BuildKit.
var parityTrees = []struct {
	name, dir string
}{
	{"examples", "../../examples"},
	{"corners", "trees/corners"},
}

// TestTreeParity builds every target of every parity tree with stevedore
// (the binary under test) and with BuildKit v0.34.2 (each target from
// BuildKit's own outputs of its dependencies) and requires equal image
// manifest digests; a mismatch prints stevedore diff's explanation.
func TestTreeParity(t *testing.T) {
	slow(t)
	bin := stevedoreBin(t)
	d := startBuildKit(t)
	for _, tr := range parityTrees {
		t.Run(tr.name, func(t *testing.T) {
			root := copyTree(t, tr.dir)
			run(t, bin, "--tree", root, "fetch", "--offline", "--mirror-dir", filepath.Join(root, "mirror"), "--progress=quiet")
			run(t, bin, "--tree", root, "build", "--progress=quiet")
			tree, err := recipes.Load(root, recipes.Options{})
			if err != nil {
				t.Fatal(err)
			}
			ordered, err := plan.Order(tree, tree.Targets)
			if err != nil {
				t.Fatal(err)
			}
			bk := t.TempDir()
			for _, tg := range ordered {
				t.Run(tg.Name, func(t *testing.T) {
					dest := filepath.Join(bk, tg.Name)
					if err := d.Build(context.Background(), referenceOptions(t, root, bk, tg, dest)); err != nil {
						t.Fatalf("BuildKit build of %s: %v", tg.Name, err)
					}
					buildkitref.RequireSameManifest(t, dest, filepath.Join(root, "out", tg.Name))
				})
			}
		})
	}
}

// referenceOptions is StageX's docker build of tg, as buildctl options.
func referenceOptions(t testing.TB, root, bk string, tg *recipes.Target, dest string) buildkitref.BuildOptions {
	fetchDir := filepath.Join(root, tg.FetchDir)
	if err := os.MkdirAll(fetchDir, 0o755); err != nil {
		t.Fatal(err)
	}
	args := buildkitref.ExtraBuildArgs(tg.BuildArgs)
	deps := map[string]string{}
	for _, dep := range tg.Deps {
		deps[dep] = filepath.Join(bk, dep)
	}
	platform := recipes.DefaultPlatform
	if len(tg.Platforms) > 0 {
		platform = tg.Platforms[0]
	}
	return buildkitref.BuildOptions{
		Context: tg.Origin.Dir, Fetch: fetchDir, Platform: platform, BuildArgs: args,
		Target: tg.StageTarget, Deps: deps, Name: tg.Name, Version: tg.Version, Dest: dest,
	}
}

// stevedoreBin is the binary under test (the Makefile passes it).
func stevedoreBin(t testing.TB) string {
	t.Helper()
	bin := os.Getenv("STEVEDORE_BIN")
	if bin == "" {
		t.Fatal("STEVEDORE_BIN is not set: run the slow suites through `make test SLOW=1`")
	}
	return bin
}

func run(t *testing.T, bin string, args ...string) {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("stevedore %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// copyTree copies a recipe tree (without fetch/ and out/) into a temp dir
// and prepares its mirror: tests/parity/trees/*/mirror.sh, when present,
// fills it (e.g. with the host's busybox) and may substitute
// @SHA256:<file>@ in package.toml files.
func copyTree(t testing.TB, src string) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "tree")
	out, err := exec.Command("cp", "-a", src, root).CombinedOutput()
	if err != nil {
		t.Fatalf("copy %s: %v\n%s", src, err, out)
	}
	for _, d := range []string{"fetch", "out", ".stevedore"} {
		os.RemoveAll(filepath.Join(root, d))
	}
	if _, err := os.Stat(filepath.Join(root, "mirror.sh")); err == nil {
		out, err := exec.Command("sh", filepath.Join(root, "mirror.sh"), filepath.Join(root, "mirror")).CombinedOutput()
		if err != nil {
			t.Fatalf("mirror.sh: %v\n%s", err, out)
		}
	}
	testenv.SubstituteHashes(t, root)
	return root
}
