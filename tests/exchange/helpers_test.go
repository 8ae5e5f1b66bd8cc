package exchange

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stevedore-build/stevedore/digests"
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

// slow skips unless STEVEDORE_SLOW is set, and then requires root and
// every tool named: missing ones fail the test.
func slow(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("STEVEDORE_SLOW") == "" {
		t.Skip("set STEVEDORE_SLOW=1")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the exchange suite needs root (building, podman and containerd storage)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run tests/install-deps", tool)
		}
	}
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

// stevedore returns $STEVEDORE_BIN (set by the Makefile), else a binary
// built for this test run.
func stevedore() (string, error) {
	if bin := os.Getenv("STEVEDORE_BIN"); bin != "" {
		return bin, nil
	}
	bin := filepath.Join(scratch, "stevedore")
	cmd := exec.Command("go", "build", "-tags", "osusergo,netgo,seccomp", "-o", bin, "../../cmd/stevedore")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build stevedore: %v\n%s", err, out)
	}
	return bin, nil
}

// buildExamples copies examples/ to root (without build products), mirrors
// its seed, fetches offline and builds, as tests/determinism does.
func buildExamples(bin, root string) (string, error) {
	if out, err := exec.Command("cp", "-a", "../../examples", root).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copy examples: %v\n%s", err, out)
	}
	for _, d := range []string{"out", "fetch", "digests", ".stevedore"} {
		os.RemoveAll(filepath.Join(root, d))
	}
	script := strings.Join([]string{
		"sh mirror.sh mirror",
		bin + " --tree . fetch --offline --mirror-dir mirror --progress=quiet",
		bin + " --tree . build --progress=quiet",
	}, " && ")
	if _, err := run(root, "sh", "-c", script); err != nil {
		return "", err
	}
	return root, nil
}

// run runs a command in dir and returns its stdout; the error carries both
// streams.
func run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// must is run that fails the test on error.
func must(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out, err := run(dir, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
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
