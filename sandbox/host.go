package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
)

// DefaultNamespaceDir is where the kernel shows the namespaces it supports.
const DefaultNamespaceDir = "/proc/self/ns"

// requiredNamespaces are the namespaces every run unshares, with the kernel
// option that provides each.
var requiredNamespaces = []struct{ file, name, config string }{
	{"mnt", "mount", "CONFIG_NAMESPACES"},
	{"pid", "pid", "CONFIG_PID_NS"},
	{"ipc", "ipc", "CONFIG_IPC_NS"},
	{"uts", "uts", "CONFIG_UTS_NS"},
	{"net", "network", "CONFIG_NET_NS"},
	{"cgroup", "cgroup", "CONFIG_CGROUPS"},
}

// checkHost reports the first namespace the host cannot give a sandbox, and
// whether the process can run containers at all (root for now; rootless
// runs need a user namespace).
func checkHost(nsDir string, euid int) error {
	for _, ns := range requiredNamespaces {
		p := filepath.Join(nsDir, ns.file)
		if _, err := os.Lstat(p); err != nil {
			return fmt.Errorf("check %s namespace support: %s: %w "+
				"(the kernel lacks %s, or a container runtime hides it: run stevedore on a host with %s namespaces)",
				ns.name, p, err, ns.config, ns.name)
		}
	}
	if euid != 0 {
		p := filepath.Join(nsDir, "user")
		if _, err := os.Lstat(p); err != nil {
			return fmt.Errorf("check user namespace support: %s: %w "+
				"(not root and the kernel lacks CONFIG_USER_NS: run stevedore as root)", p, err)
		}
		return fmt.Errorf("check privileges: running as uid %d: rootless sandboxes are not supported yet, run stevedore as root", euid)
	}
	return nil
}
