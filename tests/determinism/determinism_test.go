package determinism

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestExamplesDeterministic builds examples/ from two different folders,
// under umasks 022 and 077, with different TMPDIRs, a wall-clock second
// apart, and requires identical digests/*.txt, equal to the committed ones.
func TestExamplesDeterministic(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building needs root (rootless builds are tested by the rootless suite)")
	}
	bin := stevedore(t)
	first := buildExamples(t, bin, "022")
	time.Sleep(1100 * time.Millisecond)
	second := buildExamples(t, bin, "077")
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("digests differ between the two builds (-first +second):\n%s", diff)
	}
	want := readDigests(t, "../../examples")
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("digests differ from examples/digests (-committed +built):\n%s", diff)
	}
}

// buildExamples copies examples/ to a fresh folder and builds it under
// umask, returning the digest files it records.
func buildExamples(t *testing.T, bin, umask string) map[string]string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "some", "where", "tree")
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
		t.Fatal(err)
	}
	sh(t, "", "cp -a ../../examples "+root)
	for _, d := range []string{"out", "fetch", "digests", ".stevedore"} {
		os.RemoveAll(filepath.Join(root, d))
	}
	tmp := t.TempDir()
	script := strings.Join([]string{
		"umask " + umask,
		"export TMPDIR=" + tmp,
		"sh mirror.sh mirror",
		bin + " --tree . fetch --offline --mirror-dir mirror --progress=quiet",
		bin + " --tree . build --progress=quiet",
		bin + " --tree . digests",
	}, " && ")
	sh(t, root, script)
	return readDigests(t, root)
}

func readDigests(t *testing.T, root string) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "digests", "*.txt"))
	if len(files) == 0 {
		t.Fatalf("no digests in %s", root)
	}
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = string(data)
	}
	return out
}

func sh(t *testing.T, dir, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", script, err, out)
	}
}

// stevedore returns the binary under test: $STEVEDORE_BIN (set by the
// Makefile), else one built for this test.
func stevedore(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("STEVEDORE_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "stevedore")
	cmd := exec.Command("go", "build", "-tags", "osusergo,netgo,seccomp", "-o", bin, "../../cmd/stevedore")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build stevedore: %v\n%s", err, out)
	}
	return bin
}
