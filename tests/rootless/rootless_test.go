package rootless

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

const (
	user   = "stevedore-rootless"
	noSubs = "stevedore-nosubids"
)

// setup creates the unprivileged users (once per host): one with a
// subordinate range, one without, and a world-readable scratch directory
// holding the binary under test.
func setup(t *testing.T) (bin, dir string) {
	t.Helper()
	testenv.Slow(t, "useradd", "usermod", "su", "newuidmap", "newgidmap")
	if _, err := testenv.Run("", "id", user); err != nil {
		testenv.Must(t, "", "useradd", "-m", "-s", "/bin/sh", user)
	}
	if _, err := testenv.Run("", "id", noSubs); err != nil {
		testenv.Must(t, "", "useradd", "-m", "-s", "/bin/sh", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", noSubs)
	}
	if !hasRange(t, "/etc/subuid", user) || !hasRange(t, "/etc/subgid", user) {
		testenv.Must(t, "", "usermod", "--add-subuids", "400000-465535", "--add-subgids", "400000-465535", user)
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		if hasRange(t, f, noSubs) {
			t.Fatalf("%s has a range for %s; remove it", f, noSubs)
		}
	}
	dir, err := os.MkdirTemp("", "stevedore-rootless-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	src, err := testenv.Stevedore("../..", dir)
	if err != nil {
		t.Fatal(err)
	}
	bin = filepath.Join(dir, "stevedore-bin")
	testenv.Must(t, "", "cp", src, bin)
	os.Chmod(bin, 0o755)
	return bin, dir
}

func hasRange(t *testing.T, file, name string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, name+":") {
			return true
		}
	}
	return false
}

// as runs a shell command as u in dir.
func as(u, dir, script string) (string, error) {
	out, err := exec.Command("su", "-s", "/bin/sh", u, "-c", "cd "+dir+" && "+script).CombinedOutput()
	return string(out), err
}

// prepare copies a tree, fills its mirror and fetch/ as root, and gives it
// to the rootless user.
func prepare(t *testing.T, bin, src, dst string) {
	t.Helper()
	testenv.Must(t, "", "cp", "-a", src, dst)
	for _, d := range []string{"out", "fetch", ".stevedore"} {
		os.RemoveAll(filepath.Join(dst, d))
	}
	if _, err := os.Stat(filepath.Join(dst, "mirror.sh")); err == nil {
		testenv.Must(t, dst, "sh", "mirror.sh", "mirror")
	}
	testenv.Must(t, dst, bin, "--tree", ".", "fetch", "--offline", "--mirror-dir", "mirror", "--progress=quiet")
	testenv.Must(t, "", "chown", "-R", user+":", dst)
}

// TestExamplesRootless: the example tree built by an unprivileged user
// matches the committed (root and BuildKit) digests.
func TestExamplesRootless(t *testing.T) {
	bin, dir := setup(t)
	tree := filepath.Join(dir, "examples")
	prepare(t, bin, "../../examples", tree)
	if out, err := as(user, tree, bin+" --tree . build --progress=plain && "+bin+" --tree . verify"); err != nil {
		t.Fatalf("rootless build: %v\n%s", err, out)
	}
	if out, err := as(user, tree, bin+" --tree . clean --all"); err != nil {
		t.Fatalf("rootless clean: %v\n%s", err, out)
	}
}

// TestCornersRootless: every corner-case target builds rootless to the
// root build's digest, except the two documented differences: device
// nodes (mknod is refused in a user namespace) and ids beyond the
// subordinate range (uid 3000000).
func TestCornersRootless(t *testing.T) {
	bin, dir := setup(t)
	rootTree := filepath.Join(dir, "corners-root")
	prepareCorners(t, bin, rootTree)
	// The same sources for both builds (mirror.sh makes new archives).
	userTree := filepath.Join(dir, "corners-user")
	testenv.Must(t, "", "cp", "-a", rootTree, userTree)
	testenv.Must(t, "", "chown", "-R", user+":", userTree)
	testenv.Must(t, rootTree, bin, "--tree", ".", "build", "--progress=quiet")
	testenv.Must(t, rootTree, bin, "--tree", ".", "digests")
	want := readDigests(t, rootTree)
	for target := range want {
		out, err := as(user, userTree, bin+" --tree . build --progress=quiet "+target+" && "+bin+" --tree . digests "+target)
		switch target {
		case "core-special", "core-owners":
			if err == nil || !strings.Contains(out, "Containerfile:2: RUN") {
				t.Errorf("%s built rootless or failed unclearly: %v\n%s", target, err, out)
			}
			continue
		}
		if err != nil {
			t.Errorf("rootless %s: %v\n%s", target, err, out)
		}
	}
	got := readDigests(t, userTree)
	delete(want, "core-special")
	delete(want, "core-owners")
	// A write to a setuid or setgid file clears the bit unless the writer
	// has CAP_FSETID in the initial user namespace, which a user namespace
	// never has: a documented difference (README, Rootless). The test
	// keeps it honest: when a kernel stops clearing the bit, it fails and
	// the README must change.
	if got["core-setuid-write"] == want["core-setuid-write"] {
		t.Errorf("core-setuid-write has the root build's digest rootless: the kernel keeps setuid bits on write in a user namespace now; update the README's rootless differences")
	}
	delete(want, "core-setuid-write")
	delete(got, "core-setuid-write")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rootless digests differ from root's (-root +rootless):\n%s", diff)
	}
}

func prepareCorners(t *testing.T, bin, dst string) {
	t.Helper()
	testenv.Must(t, "", "cp", "-a", "../parity/trees/corners", dst)
	testenv.Must(t, dst, "sh", "mirror.sh", "mirror")
	testenv.SubstituteHashes(t, dst)
	testenv.Must(t, dst, bin, "--tree", ".", "fetch", "--offline", "--mirror-dir", "mirror", "--progress=quiet")
}

func readDigests(t *testing.T, tree string) map[string]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(tree, "digests", "*.txt"))
	out := map[string]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			if fs := strings.Fields(l); len(fs) == 2 {
				out[fs[1]] = fs[0]
			}
		}
	}
	return out
}

// TestDoctorNamesWhatIsMissing: a user without a subordinate range, and
// one with too low a nofile hard limit, get exit status 1 and the reason.
func TestDoctorNamesWhatIsMissing(t *testing.T) {
	bin, dir := setup(t)
	out, err := as(noSubs, dir, bin+" --tree "+dir+" doctor")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out, "no range for "+noSubs) {
		t.Errorf("doctor without a subuid range: %v\n%s", err, out)
	}
	out, err = as(user, dir, "ulimit -Hn 4096 && "+bin+" --tree "+dir+" doctor")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || !strings.Contains(out, "hard limit 4096, builds set 16384") {
		t.Errorf("doctor with nofile 4096: %v\n%s", err, out)
	}
	out, err = as(noSubs, dir, bin+" --tree "+dir+" build")
	if err == nil || !strings.Contains(out, "no range for "+noSubs) {
		t.Errorf("build without a subuid range: %v\n%s", err, out)
	}
}
