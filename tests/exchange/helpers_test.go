package exchange

import (
	"testing"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// scratch holds what the tests share: the stevedore binary and one built
// copy of examples/. TestMain removes it.
var scratch string

func TestMain(m *testing.M) { testenv.MainWithScratch(m, "stevedore-exchange-", &scratch) }

// slow is testenv.Slow.
func slow(t *testing.T, tools ...string) {
	t.Helper()
	testenv.Slow(t, tools...)
}

// run is testenv.Run.
func run(dir, name string, args ...string) (string, error) { return testenv.Run(dir, name, args...) }

// must is testenv.Must.
func must(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	return testenv.Must(t, dir, name, args...)
}

var examples testenv.Examples

// built returns the stevedore binary and a tree where examples/ has been
// fetched and built (once per test binary).
func built(t *testing.T) (bin, tree string) {
	t.Helper()
	return examples.Get(t, "../..", scratch, nil)
}

// manifestDigest is testenv.ManifestDigest.
func manifestDigest(t *testing.T, tree, target string) string {
	t.Helper()
	return testenv.ManifestDigest(t, tree, target)
}

// stevedore is the binary under test (testenv.Stevedore).
func stevedore() (string, error) { return testenv.Stevedore("../..", scratch) }
