package determinism

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// TestExamplesDeterministic builds examples/ from two different folders,
// under umasks 022 and 077, with different TMPDIRs, a wall-clock second
// apart, one target at a time and three at once, and requires identical
// digests/*.txt, equal to the committed ones.
func TestExamplesDeterministic(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building needs root (rootless builds are tested by the rootless suite)")
	}
	bin := stevedore(t)
	first := buildExamples(t, bin, "022", "1")
	time.Sleep(1100 * time.Millisecond)
	second := buildExamples(t, bin, "077", "3")
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
func buildExamples(t *testing.T, bin, umask, jobs string) map[string]string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "some", "where", "tree")
	if err := os.MkdirAll(filepath.Dir(root), 0o755); err != nil {
		t.Fatal(err)
	}
	copyExamples(t, root, "fetch", "digests")
	tmp := t.TempDir()
	script := strings.Join([]string{
		"umask " + umask,
		"export TMPDIR=" + tmp,
		"sh mirror.sh mirror",
		bin + " --tree . fetch --offline --mirror-dir mirror --progress=quiet",
		bin + " --tree . build --progress=quiet --jobs " + jobs,
		bin + " --tree . digests",
	}, " && ")
	sh(t, root, script)
	return readDigests(t, root)
}

// copyExamples copies examples/ to root without its build state (out/,
// .stevedore/) and without the other folders drop names.
func copyExamples(t *testing.T, root string, drop ...string) {
	t.Helper()
	sh(t, "", "cp -a ../../examples "+root)
	for _, d := range append([]string{"out", ".stevedore"}, drop...) {
		if err := os.RemoveAll(filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
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

// stevedore is the binary under test (testenv.Stevedore).
func stevedore(t *testing.T) string {
	t.Helper()
	bin, err := testenv.Stevedore("../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// TestWarmBuildIsCached: a second build of an unchanged tree reuses every
// target; changing one recipe rebuilds it (and only what depends on it);
// --no-cache rebuilds everything, to the same digests.
func TestWarmBuildIsCached(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	bin := stevedore(t)
	root := filepath.Join(t.TempDir(), "tree")
	copyExamples(t, root)
	sh(t, root, "sh mirror.sh mirror && "+bin+" --tree . fetch --offline --mirror-dir mirror --progress=quiet && "+bin+" --tree . build --progress=quiet")
	count := func(args string) int {
		cmd := exec.Command("sh", "-c", bin+" --tree . build "+args)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("build %s: %v\n%s", args, err, out)
		}
		return strings.Count(string(out), " cached\n")
	}
	if got := count(""); got != 6 {
		t.Errorf("warm build: %d of 6 targets cached", got)
	}
	f := filepath.Join(root, "packages/core/greeting/Containerfile")
	data, _ := os.ReadFile(f)
	os.WriteFile(f, append(data, []byte("LABEL changed=yes\n")...), 0o644)
	if got := count(""); got != 5 {
		t.Errorf("after changing core-greeting: %d targets cached, want 5", got)
	}
	if got := count("--no-cache"); got != 0 {
		t.Errorf("--no-cache: %d targets cached, want 0", got)
	}
	sh(t, root, bin+" --tree . verify core-hello core-box core-filesystem bootstrap-seed core-hello-doc")

	// Later targets are checked ahead on every processor, but only once
	// their dependencies are done: core-greeting uses the rebuilt
	// core-hello, so it is rebuilt too (core-hello-doc: same recipe).
	f = filepath.Join(root, "packages/core/hello/Containerfile")
	data, _ = os.ReadFile(f)
	os.WriteFile(f, append(data, []byte("LABEL changed=yes\n")...), 0o644)
	if got := count(""); got != 3 {
		t.Errorf("after changing core-hello: %d targets cached, want 3", got)
	}
	os.WriteFile(f, data, 0o644)
	if got := count(""); got != 3 {
		t.Errorf("after changing core-hello back: %d targets cached, want 3", got)
	}
	sh(t, root, bin+" --tree . verify core-hello core-box core-filesystem bootstrap-seed core-hello-doc")

	// Without the target records, every layer comes from the layer cache
	// and the images are the same.
	targets, _ := filepath.Glob(filepath.Join(root, ".stevedore", "cache", "*-*"))
	for _, f := range targets {
		os.Remove(f)
	}
	cmd := exec.Command("sh", "-c", bin+" --tree . build")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "] cached "); n < 20 {
		t.Errorf("only %d layers came from the layer cache:\n%s", n, out)
	}
	sh(t, root, bin+" --tree . verify core-hello core-box core-filesystem bootstrap-seed core-hello-doc")
}

// TestConcurrentBuildsShareCache: two builds of one tree at the same time
// share its layer cache, sandbox state and out/ safely: both succeed and
// the outputs verify.
func TestConcurrentBuildsShareCache(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	bin := stevedore(t)
	root := filepath.Join(t.TempDir(), "tree")
	copyExamples(t, root)
	sh(t, root, "sh mirror.sh mirror && "+bin+" --tree . fetch --offline --mirror-dir mirror --progress=quiet")
	errs := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			cmd := exec.Command(bin, "--tree", root, "build", "--progress=quiet", "--jobs", "2")
			out, err := cmd.CombinedOutput()
			if err != nil {
				err = fmt.Errorf("%v\n%s", err, out)
			}
			errs <- err
		}()
	}
	for i := 0; i < 2; i++ {
		if err := <-errs; err != nil {
			t.Errorf("concurrent build: %v", err)
		}
	}
	sh(t, root, bin+" --tree . verify")
}

// TestHeredocWarmEqualsCold: the same heredoc copied twice, with the first
// copy's layer from the layer cache and the second built anew, gives the
// image a cold build gives (a heredoc file's time must not depend on
// which layers came from the cache; campaign seed 10395).
func TestHeredocWarmEqualsCold(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	bin := stevedore(t)
	root := filepath.Join(t.TempDir(), "tree")
	copyExamples(t, root, "digests")
	pkg := filepath.Join(root, "packages/core/heredoc2")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(pkg, "package.toml"), []byte("[package]\nname = \"heredoc2\"\n"), 0o644)
	recipe := func(step string) {
		cf := "FROM stagex/core-box\nCOPY <<EOF /n/l/\nsame\nEOF\nRUN mkdir -p /s/" + step + "\nCOPY <<EOF /n/l/\nsame\nEOF\n"
		if err := os.WriteFile(filepath.Join(pkg, "Containerfile"), []byte(cf), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	build := func(args string) string {
		sh(t, root, bin+" --tree . build --progress=quiet "+args+" core-heredoc2 && "+bin+" --tree . digests core-heredoc2")
		return readDigests(t, root)["core.txt"]
	}
	recipe("1")
	sh(t, root, "sh mirror.sh mirror && "+bin+" --tree . fetch --offline --mirror-dir mirror --progress=quiet")
	build("")
	recipe("2")
	warm := build("")
	cold := build("--no-cache")
	if warm != cold {
		t.Errorf("digests after a partly cached build differ from a cold build:\nwarm:\n%s\ncold:\n%s", warm, cold)
	}
}
