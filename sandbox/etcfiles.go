package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"

	"github.com/moby/buildkit/util/resolvconf"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// hostsContent is BuildKit's initHostsFile for the default hostname.
const hostsContent = "127.0.0.1\tlocalhost " + Hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"

// hostResolvConf is the host file resolv.conf content is derived from.
const hostResolvConf = "/etc/resolv.conf"

// etcDir holds the hosts and resolv.conf files all runs under a state
// directory bind-mount read-only, as BuildKit shares one pair per daemon:
// the process can neither change them nor leave their content in the rootfs.
const etcDir = "etc"

// ensureEtcFiles returns the paths of the shared hosts and resolv.conf
// files under stateDir, rewriting them (atomically) only when their content
// is not what it should be, so that a run normally creates no file for them.
// resolv.conf is derived from the host's each time, so a change on the host
// reaches the next run, as in BuildKit.
func ensureEtcFiles(stateDir string) (hosts, resolv string, err error) {
	dir := filepath.Join(stateDir, etcDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create %s: %w", dir, err)
	}
	hosts = filepath.Join(dir, "hosts")
	if err := writeIfChanged(hosts, []byte(hostsContent)); err != nil {
		return "", "", err
	}
	content, err := resolvConfContent(hostResolvConf, resolvedConf)
	if err != nil {
		return "", "", err
	}
	resolv = filepath.Join(dir, "resolv.conf")
	if err := writeIfChanged(resolv, content); err != nil {
		return "", "", err
	}
	return hosts, resolv, nil
}

// writeIfChanged makes path hold content, replacing it by rename so that a
// concurrent run bind-mounts either the old or the new file, never half.
func writeIfChanged(path string, content []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, content) {
		return nil
	}
	if err := atomicfile.WriteFile(path, content, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// resolvedConf lists systemd-resolved's upstream servers; resolvedStub is
// its local stub resolver, which a sandbox cannot reach.
const resolvedConf = "/run/systemd/resolve/resolv.conf"

var resolvedStub = netip.MustParseAddr("127.0.0.53")

// defaultNameservers are BuildKit's fallback (util/resolvconf, with IPv6).
var defaultNameservers = []netip.Addr{
	netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("8.8.4.4"),
	netip.MustParseAddr("2001:4860:4860::8888"), netip.MustParseAddr("2001:4860:4860::8844"),
}

// resolvConfContent derives a sandbox's resolv.conf from the host's as
// BuildKit's oci.GetResolvConf does for a non-host network: behind
// systemd-resolved the upstream list is read instead of the stub's,
// loopback nameservers are dropped, and Google's public ones stand in when
// none is left. (The sandbox has no network, so only the bytes matter.)
func resolvConfContent(hostPath, resolvedPath string) ([]byte, error) {
	rc, err := loadResolvConf(hostPath)
	if err != nil {
		return nil, err
	}
	if ns := rc.NameServers(); len(ns) == 1 && ns[0] == resolvedStub {
		if rc, err = loadResolvConf(resolvedPath); err != nil {
			return nil, err
		}
	}
	if !slices.ContainsFunc(rc.NameServers(), func(a netip.Addr) bool { return !a.IsLoopback() }) {
		// What TransformForLegacyNw would do, without its log line.
		rc.OverrideNameServers(defaultNameservers)
	}
	rc.TransformForLegacyNw(true)
	out, err := rc.Generate(false)
	if err != nil {
		return nil, fmt.Errorf("generate resolv.conf from %s: %w", hostPath, err)
	}
	return out, nil
}

// loadResolvConf parses path; a missing file is an empty configuration.
func loadResolvConf(path string) (resolvconf.ResolvConf, error) {
	rc, err := resolvconf.Load(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return rc, fmt.Errorf("read %s: %w", path, err)
	}
	return rc, nil
}
