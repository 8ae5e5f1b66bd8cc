package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/buildkit/util/resolvconf"
)

// hostsContent is BuildKit's initHostsFile for the default hostname.
const hostsContent = "127.0.0.1\tlocalhost " + Hostname + "\n::1\tlocalhost ip6-localhost ip6-loopback\n"

// hostResolvConf is the host file resolv.conf content is derived from.
const hostResolvConf = "/etc/resolv.conf"

// writeEtcFiles writes the hosts and resolv.conf files of one run into dir
// and returns their paths. They are bind-mounted read-only, so the process
// can neither change them nor leave their content in the rootfs.
func writeEtcFiles(dir string) (hosts, resolv string, err error) {
	hosts = filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte(hostsContent), 0o644); err != nil {
		return "", "", fmt.Errorf("write hosts file %s: %w", hosts, err)
	}
	content, err := resolvConfContent(hostResolvConf)
	if err != nil {
		return "", "", err
	}
	resolv = filepath.Join(dir, "resolv.conf")
	if err := os.WriteFile(resolv, content, 0o644); err != nil {
		return "", "", fmt.Errorf("write resolv.conf %s: %w", resolv, err)
	}
	return hosts, resolv, nil
}

// resolvConfContent derives a sandbox's resolv.conf from the host's as
// BuildKit's oci.GetResolvConf does for a non-host network: localhost
// nameservers are dropped and Google's public ones stand in when none is
// left. (The sandbox has no network, so only the bytes matter.)
func resolvConfContent(hostPath string) ([]byte, error) {
	rc, err := resolvconf.Load(hostPath)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", hostPath, err)
	}
	rc.TransformForLegacyNw(true)
	out, err := rc.Generate(false)
	if err != nil {
		return nil, fmt.Errorf("generate resolv.conf from %s: %w", hostPath, err)
	}
	return out, nil
}
