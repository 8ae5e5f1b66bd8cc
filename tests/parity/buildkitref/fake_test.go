package buildkitref

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeCache makes a binary cache whose buildkitd runs script body, so that
// start's failure paths can be tested without building BuildKit.
func fakeCache(t *testing.T, body string) string {
	t.Helper()
	cache := t.TempDir()
	bin := filepath.Join(cache, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"buildkitd":      "#!/bin/sh\n" + body + "\n",
		"buildctl":       "#!/bin/sh\nexit 1\n",
		".built-v0.34.2": "",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return cache
}

func needRootRunc(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("start needs root")
	}
	if _, err := exec.LookPath("runc"); err != nil {
		t.Skip("start needs runc")
	}
}

func TestStartFailsLoudly(t *testing.T) {
	needRootRunc(t)
	tests := []struct {
		name, daemon string
		timeout      time.Duration
		want         []string
	}{
		{"daemon exits", "echo boom-from-buildkitd >&2; exit 3", 0, []string{"buildkitd exited", "boom-from-buildkitd"}},
		{"daemon hangs", "echo still-starting >&2; exec sleep 600", time.Second, []string{"did not answer within 1s", "still-starting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := Options{Cache: fakeCache(t, tt.daemon), Workdir: filepath.Join(t.TempDir(), "w"), StartTimeout: tt.timeout}
			start := time.Now()
			d, err := Start(context.Background(), o)
			if err == nil {
				d.Stop(context.Background())
				t.Fatal("Start succeeded with a broken buildkitd")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if el := time.Since(start); el > 30*time.Second {
				t.Errorf("Start took %s to fail", el)
			}
		})
	}
}

func TestEnsureUsesCache(t *testing.T) {
	cache := fakeCache(t, "exit 0")
	got, err := Ensure(context.Background(), Options{Cache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cache, "bin"); got != want {
		t.Errorf("Ensure = %q, want %q", got, want)
	}
}

// TestPruneHoldsTheBuildLock: Prune runs buildctl prune --all against the
// daemon's address, only once no build holds the lock, and reports a
// failing buildctl.
func TestPruneHoldsTheBuildLock(t *testing.T) {
	if _, err := exec.LookPath("flock"); err != nil {
		t.Skip("needs flock (util-linux)")
	}
	for _, fail := range []bool{false, true} {
		cache := fakeCache(t, "exit 0")
		dir := t.TempDir()
		record := filepath.Join(dir, "args")
		status := "0"
		if fail {
			status = "7"
		}
		ctl := "#!/bin/sh\necho \"$@\" >> " + record + "\necho pruned-stderr >&2\nexit " + status + "\n"
		if err := os.WriteFile(filepath.Join(cache, "bin", "buildctl"), []byte(ctl), 0o755); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(dir, "buildkitd.sock")
		d := &Daemon{Addr: "unix://" + sock, Workdir: dir, opts: Options{Cache: cache}}

		// A build holds the lock for a second; Prune must wait for it.
		holder := exec.Command("flock", sock+".build-lock", "sleep", "1")
		if err := holder.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
		start := time.Now()
		err := d.Prune(context.Background())
		waited := time.Since(start)
		holder.Wait()
		if fail {
			if err == nil || !strings.Contains(err.Error(), "buildctl prune --all failed") {
				t.Errorf("Prune with a failing buildctl: err = %v", err)
			}
		} else if err != nil {
			t.Fatalf("Prune: %v", err)
		}
		if waited < 500*time.Millisecond {
			t.Errorf("Prune returned after %s while a build held the lock", waited)
		}
		got, _ := os.ReadFile(record)
		if want := "--addr unix://" + sock + " prune --all\n"; string(got) != want {
			t.Errorf("buildctl called with %q, want %q", got, want)
		}
	}
}
