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
