package difftest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// RootlessUser is the unprivileged user of tests/rootless, with the
// subordinate range 400000-465535.
const RootlessUser = "stevedore-rootless"

// SetupRootless creates RootlessUser and its subordinate ranges when
// missing (as tests/rootless does) and copies bin into dir, which it
// makes world-readable, for that user to run.
func SetupRootless(bin, dir string) (string, error) {
	if err := exec.Command("id", RootlessUser).Run(); err != nil {
		if out, err := exec.Command("useradd", "-m", "-s", "/bin/sh", RootlessUser).CombinedOutput(); err != nil {
			return "", fmt.Errorf("useradd: %v: %s", err, out)
		}
	}
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		if !strings.Contains("\n"+string(data), "\n"+RootlessUser+":") {
			out, err := exec.Command("usermod", "--add-subuids", "400000-465535", "--add-subgids", "400000-465535", RootlessUser).CombinedOutput()
			if err != nil {
				return "", fmt.Errorf("usermod: %v: %s", err, out)
			}
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	os.Chmod(dir, 0o755)
	dst := filepath.Join(dir, "stevedore-rootless-bin")
	if out, err := exec.Command("cp", bin, dst).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copy %s: %v: %s", bin, err, out)
	}
	return dst, os.Chmod(dst, 0o755)
}
