package baseimages

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// scratch holds the binary and the built examples tree; TestMain removes it.
var scratch string

func TestMain(m *testing.M) { testenv.MainWithScratch(m, "stevedore-baseimages-", &scratch) }

// slow is testenv.Slow.
func slow(t *testing.T, tools ...string) {
	t.Helper()
	testenv.Slow(t, tools...)
}

// appContainerfile uses its base image twice: as a FROM (with a RUN on
// top) and as a COPY --from source. Line 1 is the first use.
const appContainerfile = `FROM %[1]s AS build
RUN ["/bin/box", "sh", "-c", "echo hi > /hi"]

FROM %[1]s
COPY --from=build /hi /hi
COPY --from=%[1]s /bin/box /copied-box
`

// writeApp writes packages/user/app using image base.
func writeApp(root, base string) error {
	dir := filepath.Join(root, "packages", "user", "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "package.toml"), []byte("[package]\nname = \"app\"\nversion = \"1\"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(fmt.Sprintf(appContainerfile, base)), 0o644)
}

// appTree is a new tree holding only user-app FROM base.
func appTree(t *testing.T, base string) string {
	t.Helper()
	root := t.TempDir()
	if err := writeApp(root, base); err != nil {
		t.Fatal(err)
	}
	return root
}

// run is testenv.Run.
func run(dir, name string, args ...string) (string, error) { return testenv.Run(dir, name, args...) }

// fails runs a command that must fail and returns its error text.
func fails(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	_, err := run(dir, name, args...)
	if err == nil {
		t.Fatalf("%s %s succeeded, want an error", name, strings.Join(args, " "))
	}
	return err.Error()
}

// lockLines are the pins of tree's stevedore.lock, without comments.
func lockLines(t *testing.T, tree string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(tree, "stevedore.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

var examples testenv.Examples

// built returns the binary and a copy of examples/ with one more package,
// user-app, built FROM stagex/core-box: the reference output.
func built(t *testing.T) (bin, tree string) {
	t.Helper()
	return examples.Get(t, "../..", scratch, func(root string) error { return writeApp(root, "stagex/core-box") })
}

// manifestDigest is testenv.ManifestDigest.
func manifestDigest(t *testing.T, tree, target string) string {
	t.Helper()
	return testenv.ManifestDigest(t, tree, target)
}

// must is testenv.Must.
func must(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	return testenv.Must(t, dir, name, args...)
}
