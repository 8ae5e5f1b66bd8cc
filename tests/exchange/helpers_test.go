package exchange

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// scratch holds what the tests share: the stevedore binary and one built
// copy of examples/. TestMain removes it.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stevedore-exchange-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// slow is testenv.Slow.
func slow(t *testing.T, tools ...string) {
	t.Helper()
	testenv.Slow(t, tools...)
}

var (
	buildOnce sync.Once
	builtTree string
	buildErr  error
	binPath   string
)

// built returns the stevedore binary and a tree where examples/ has been
// fetched and built (once per test binary).
func built(t *testing.T) (bin, tree string) {
	t.Helper()
	buildOnce.Do(func() {
		binPath, buildErr = stevedore()
		if buildErr == nil {
			builtTree, buildErr = buildExamples(binPath, filepath.Join(scratch, "tree"))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath, builtTree
}

// stevedore is the binary under test (testenv.Stevedore).
func stevedore() (string, error) { return testenv.Stevedore("../..", scratch) }

// buildExamples builds a copy of examples/ at root (testenv.BuildExamples).
func buildExamples(bin, root string) (string, error) {
	return root, testenv.BuildExamples(bin, "../..", root, nil)
}

// run is testenv.Run.
func run(dir, name string, args ...string) (string, error) { return testenv.Run(dir, name, args...) }

// must is testenv.Must.
func must(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	return testenv.Must(t, dir, name, args...)
}

// manifestDigest is what StageX records for target: out/ read by digests.
func manifestDigest(t *testing.T, tree, target string) string {
	t.Helper()
	img, err := digests.ReadImage(digests.OutDir(tree, target))
	if err != nil {
		t.Fatal(err)
	}
	return img.Digest.String()
}
