// Package testenv is what stevedore's end-to-end suites share: the binary
// under test, a built copy of the example tree, running commands, and the
// rule that slow suites skip without STEVEDORE_SLOW but fail, never skip,
// when it is set and something they need is missing.
package testenv

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Slow skips unless STEVEDORE_SLOW is set, and then requires root and
// every tool named: missing ones fail the test.
func Slow(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("STEVEDORE_SLOW") == "" {
		t.Skip("set STEVEDORE_SLOW=1")
	}
	if os.Geteuid() != 0 {
		t.Fatal("this suite needs root (building, daemons' storage)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run tests/install-deps", tool)
		}
	}
}

// Stevedore returns $STEVEDORE_BIN (set by the Makefile), else a binary
// built into dir from repo (the repository root).
func Stevedore(repo, dir string) (string, error) {
	if bin := os.Getenv("STEVEDORE_BIN"); bin != "" {
		return bin, nil
	}
	bin := filepath.Join(dir, "stevedore")
	cmd := exec.Command("go", "build", "-tags", "osusergo,netgo,seccomp", "-o", bin, "./cmd/stevedore")
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build stevedore: %v\n%s", err, out)
	}
	return bin, nil
}

// BuildExamples copies repo's examples/ to root (without build products),
// lets prepare add to it, mirrors its seed, fetches offline and builds.
func BuildExamples(bin, repo, root string, prepare func(root string) error) error {
	if out, err := exec.Command("cp", "-a", filepath.Join(repo, "examples"), root).CombinedOutput(); err != nil {
		return fmt.Errorf("copy examples: %v\n%s", err, out)
	}
	for _, d := range []string{"out", "fetch", "digests", ".stevedore"} {
		os.RemoveAll(filepath.Join(root, d))
	}
	if prepare != nil {
		if err := prepare(root); err != nil {
			return err
		}
	}
	script := strings.Join([]string{
		"sh mirror.sh mirror",
		bin + " --tree . fetch --offline --mirror-dir mirror --progress=quiet",
		bin + " --tree . build --progress=quiet",
	}, " && ")
	_, err := Run(root, "sh", "-c", script)
	return err
}

// Run runs a command in dir and returns its stdout; the error carries both
// streams.
func Run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// Must is Run that fails the test on error.
func Must(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out, err := Run(dir, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// SubstituteHashes replaces @SHA256:<file>@ in package.toml files with the
// SHA-256 of mirror/<file>, so trees can use host binaries as sources.
func SubstituteHashes(t testing.TB, root string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "packages", "*", "*", "package.toml"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(data)
		for {
			i := strings.Index(s, "@SHA256:")
			if i < 0 {
				break
			}
			j := strings.Index(s[i+1:], "@")
			name := s[i+len("@SHA256:") : i+1+j]
			// Streamed: a test process that read a large source whole
			// would pass its peak RSS on to the peak every child reports
			// (exec keeps the parent's high-water mark in ru_maxrss).
			sum, err := fileSHA256(filepath.Join(root, "mirror", name))
			if err != nil {
				t.Fatalf("%s: hash of %s: %v", f, name, err)
			}
			s = s[:i] + sum + s[i+1+j+1:]
		}
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
