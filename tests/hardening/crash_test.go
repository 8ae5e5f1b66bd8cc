package hardening

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A build killed with SIGKILL in the middle of a RUN leaves no mount in the
// host's mount namespace; clean then works, and the next build sweeps the
// dead build's folders.
func TestKilledBuildLeavesNoMounts(t *testing.T) {
	bin := stevedore(t)
	root := writeTree(t, bin, map[string]string{
		"sleeper": "FROM stagex/core-busybox\nRUN echo started-sleeping; sleep 60\n",
	})
	if out, err := run(bin, root, "build", "--progress=quiet", "core-busybox"); err != nil {
		t.Fatalf("build core-busybox: %v\n%s", err, out)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin, "--tree", root, "build", "--progress=plain", "core-sleeper")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(root, ".stevedore", "logs", "core-sleeper.log")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if strings.Contains(string(b), "\nstarted-sleeping\n") {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the RUN did not start within 60s; log:\n%s", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// The kernel tears a dead process's namespace down asynchronously.
	var left []string
	for i := 0; i < 50; i++ {
		if left = mountsUnder(t, root); len(left) == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("mounts left behind by the killed build: %v", left)
		defer func() {
			for _, m := range left {
				syscall.Unmount(m, syscall.MNT_DETACH)
			}
		}()
	}

	// The killed build's re-executed child dies of its parent-death signal
	// a moment later; until then its scratch dirs are rightly locked.
	waitUnlocked(t, filepath.Join(root, ".stevedore", "work"))

	// The next build sweeps what the dead one left.
	if out, err := run(bin, root, "build", "--progress=quiet", "core-busybox"); err != nil {
		t.Fatalf("build after the kill: %v\n%s", err, out)
	}
	work := filepath.Join(root, ".stevedore", "work")
	entries, _ := os.ReadDir(work)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "build-") || strings.HasPrefix(e.Name(), "fetch-") {
			t.Errorf("the next build did not sweep %s", filepath.Join(work, e.Name()))
		}
	}
	if out, err := run(bin, root, "clean"); err != nil {
		t.Errorf("clean after a killed build: %v\n%s", err, out)
	}
	if _, err := os.Stat(work); !os.IsNotExist(err) {
		t.Errorf("clean left %s: %v", work, err)
	}
}

// waitUnlocked waits until no process holds an flock on an entry of dir.
func waitUnlocked(t *testing.T, dir string) {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	deadline := time.Now().Add(20 * time.Second)
	for _, e := range entries {
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		for syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("%s is still locked 20s after the build was killed", f.Name())
			}
			time.Sleep(50 * time.Millisecond)
		}
		f.Close()
	}
}

// A mount left under .stevedore by a build from before builds kept their
// mounts private (or by a library user) is unmounted by clean.
func TestCleanUnmountsLeftovers(t *testing.T) {
	bin := stevedore(t)
	root := t.TempDir()
	mnt := filepath.Join(root, ".stevedore", "work", "build-1", "mnt-4")
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	defer syscall.Unmount(mnt, syscall.MNT_DETACH)
	if err := os.WriteFile(filepath.Join(mnt, "file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run(bin, root, "clean"); err != nil {
		t.Errorf("clean: %v\n%s", err, out)
	}
	if left := mountsUnder(t, root); len(left) > 0 {
		t.Errorf("clean left mounts: %v", left)
	}
	if _, err := os.Stat(filepath.Join(root, ".stevedore", "work")); !os.IsNotExist(err) {
		t.Errorf("clean left the work dir: %v", err)
	}
}
