package hardening

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startBuild starts stevedore build in the background; wait returns its
// error and combined output.
func startBuild(t *testing.T, bin, root string, args ...string) (wait func() (string, error)) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"--tree", root, "build", "--progress=plain"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return func() (string, error) {
		err := cmd.Wait()
		return out.String(), err
	}
}

// waitForLog waits until the target's log contains s.
func waitForLog(t *testing.T, root, target, s string) {
	t.Helper()
	log := filepath.Join(root, ".stevedore", "logs", target+".log")
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, _ := os.ReadFile(log)
		if strings.Contains(string(b), s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%q not in %s within 60s:\n%s", s, log, b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// clean waits for a running build (the tree lock) instead of removing its
// scratch space and mounts under it.
func TestCleanWaitsForRunningBuild(t *testing.T) {
	bin := stevedore(t)
	root := writeTree(t, bin, map[string]string{
		"sleeper": "FROM stagex/core-busybox\nRUN echo started-sleeping; sleep 3; echo woke-up > /woke\n",
	})
	if out, err := run(bin, root, "build", "--progress=quiet", "core-busybox"); err != nil {
		t.Fatalf("build core-busybox: %v\n%s", err, out)
	}
	wait := startBuild(t, bin, root, "core-sleeper")
	waitForLog(t, root, "core-sleeper", "\nstarted-sleeping\n")
	cleanOut, cleanErr := run(bin, root, "clean", "--all")
	out, err := wait()
	if err != nil {
		t.Errorf("build while clean ran: %v\n%s", err, out)
	}
	if cleanErr != nil {
		t.Errorf("clean during a build: %v\n%s", cleanErr, cleanOut)
	}
	if !strings.Contains(cleanOut, "waiting for a build") {
		t.Errorf("clean did not say it waits for the build:\n%s", cleanOut)
	}
	if _, err := os.Stat(filepath.Join(root, "out", "core-sleeper", "index.json")); err != nil {
		t.Errorf("the build's image: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, ".stevedore", "work")); !os.IsNotExist(err) {
		t.Errorf("clean ran before the build ended: work dir %v", err)
	}
}

// Two builds of one target at once: the second waits for the first (the
// target's log is locked) and reuses its result; the RUN runs once and
// the log holds one build.
func TestConcurrentBuildsOfOneTargetShareOneLog(t *testing.T) {
	bin := stevedore(t)
	root := writeTree(t, bin, map[string]string{
		"sleeper": "FROM stagex/core-busybox\nRUN echo started-sleeping; sleep 2; echo woke-up > /woke\n",
	})
	if out, err := run(bin, root, "build", "--progress=quiet", "core-busybox"); err != nil {
		t.Fatalf("build core-busybox: %v\n%s", err, out)
	}
	first := startBuild(t, bin, root, "core-sleeper")
	waitForLog(t, root, "core-sleeper", "\nstarted-sleeping\n")
	second := startBuild(t, bin, root, "core-sleeper")
	out1, err1 := first()
	out2, err2 := second()
	if err1 != nil || err2 != nil {
		t.Fatalf("builds: %v, %v\n%s\n%s", err1, err2, out1, out2)
	}
	if n := strings.Count(out1+out2, "| started-sleeping\n"); n != 1 {
		t.Errorf("the RUN ran %d times, want once (the second build reuses the first):\n%s\n---\n%s", n, out1, out2)
	}
	log, _ := os.ReadFile(filepath.Join(root, ".stevedore", "logs", "core-sleeper.log"))
	if bytes.Contains(log, []byte{0}) || strings.Count(string(log), "FROM stagex/core-busybox") > 1 {
		t.Errorf("log holds more than one build:\n%q", log)
	}
}
