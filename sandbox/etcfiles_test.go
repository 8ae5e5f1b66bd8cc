package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnsureEtcFiles(t *testing.T) {
	state := t.TempDir()
	hosts, resolv, err := ensureEtcFiles(state)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(hosts); string(got) != hostsContent {
		t.Errorf("hosts = %q, want %q", got, hostsContent)
	}
	wantResolv, err := resolvConfContent(hostResolvConf, resolvedConf)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(resolv); string(got) != string(wantResolv) {
		t.Errorf("resolv.conf = %q, want %q", got, wantResolv)
	}
	before, _ := os.Stat(hosts)
	// Unchanged content: the files are reused, not rewritten.
	if _, _, err := ensureEtcFiles(state); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.Stat(hosts); !os.SameFile(before, after) {
		t.Error("hosts was rewritten although its content was right")
	}
	// Wrong content (a crash, an older stevedore): rewritten.
	if err := os.WriteFile(hosts, []byte("tampered\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ensureEtcFiles(state); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(hosts); string(got) != hostsContent {
		t.Errorf("hosts after repair = %q, want %q", got, hostsContent)
	}
	if fi, _ := os.Stat(hosts); fi.Mode().Perm() != 0o644 {
		t.Errorf("hosts mode = %v, want 0644", fi.Mode().Perm())
	}
	if left, _ := filepath.Glob(filepath.Join(state, etcDir, "*.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left: %q", left)
	}
}

func TestResolvConfContent(t *testing.T) {
	const defaults = "nameserver 8.8.8.8\nnameserver 8.8.4.4\nnameserver 2001:4860:4860::8888\nnameserver 2001:4860:4860::8844\n"
	for _, tc := range []struct{ name, host, resolved, want string }{
		{"remote nameserver kept", "nameserver 10.255.255.53\n", "", "nameserver 10.255.255.53\n"},
		{"loopback dropped", "nameserver 127.0.0.1\nnameserver 10.0.0.2\nsearch example.org\n", "",
			"nameserver 10.0.0.2\nsearch example.org\n"},
		{"only loopback: BuildKit's defaults", "nameserver 127.0.0.1\n", "", defaults},
		{"no host file: BuildKit's defaults", "", "", defaults},
		{"systemd-resolved: its upstream list", "nameserver 127.0.0.53\n", "nameserver 192.0.2.1\n", "nameserver 192.0.2.1\n"},
		{"systemd-resolved without upstream list", "nameserver 127.0.0.53\n", "", defaults},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			host, resolved := filepath.Join(dir, "host"), filepath.Join(dir, "resolved")
			for p, c := range map[string]string{host: tc.host, resolved: tc.resolved} {
				if c == "" {
					continue
				}
				if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, err := resolvConfContent(host, resolved)
			if err != nil || string(got) != tc.want {
				t.Errorf("resolvConfContent(%q, %q) = %q, %v; want %q", tc.host, tc.resolved, got, err, tc.want)
			}
		})
	}
}
