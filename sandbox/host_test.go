package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckHost(t *testing.T) {
	full := t.TempDir()
	for _, ns := range []string{"mnt", "pid", "ipc", "uts", "net", "cgroup", "user"} {
		if err := os.WriteFile(filepath.Join(full, ns), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	without := func(name string) string {
		dir := t.TempDir()
		for _, e := range []string{"mnt", "pid", "ipc", "uts", "net", "cgroup", "user"} {
			if e != name {
				if err := os.WriteFile(filepath.Join(dir, e), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		}
		return dir
	}
	for _, tc := range []struct {
		name  string
		nsDir string
		euid  int
		want  []string // substrings of the error; nil means success
	}{
		{"root, all namespaces", full, 0, nil},
		{"no network namespace", without("net"), 0, []string{"network namespace", "CONFIG_NET_NS"}},
		{"no mount namespace", without("mnt"), 0, []string{"mount namespace"}},
		{"no uts namespace", without("uts"), 0, []string{"uts namespace", "CONFIG_UTS_NS"}},
		{"no cgroup namespace", without("cgroup"), 0, []string{"cgroup namespace", "CONFIG_CGROUPS"}},
		{"not root, no user namespace", without("user"), 1000, []string{"user namespace", "CONFIG_USER_NS", "run stevedore as root"}},
		{"not root", full, 1000, []string{"uid 1000", "rootless", "run stevedore as root"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkHost(tc.nsDir, tc.euid)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("checkHost: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("checkHost succeeded, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}
