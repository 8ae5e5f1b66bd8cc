package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// specInput is what varies between runs in the OCI spec.
type specInput struct {
	Rootfs      string // absolute
	HostsFile   string // bind-mounted read-only on /etc/hosts
	ResolvConf  string // bind-mounted read-only on /etc/resolv.conf
	CgroupsPath string // cgroupfs path of this run
	NetNSPath   string // join this network namespace (an outbound run) instead of a new one
	PidsLimit   int64  // > 0: the cgroup pids limit (ignored in a user namespace)
	// InUserNS: stevedore runs rootless, as root of a user namespace. The
	// kernel refuses a cgroup v1 mount there, so the hierarchy is bound
	// read-only from the host instead (the same view).
	InUserNS bool
}

// buildkitSpec returns the OCI spec BuildKit's runc executor generates for a
// RUN step with the default security mode and --network=none: containerd's
// populateDefaultUnixSpec, then BuildKit's generateMountOpts (no /run tmpfs,
// read-only binds of resolv.conf and hosts, a read-only cgroup mount),
// WithNewPrivileges, the hostname and the default seccomp profile. Process
// fields other than capabilities are set on libcontainer.Process instead.
//
// One deliberate difference: the cgroup namespace is always private.
// BuildKit unshares it only on cgroup v2 hosts (cgroupV2NamespaceSupported);
// on a v1 host its RUN sees /proc/self/cgroup paths /buildkit/<random id>,
// which no reproducible build can depend on. Ours are "/", as BuildKit's are
// on v2 hosts; the mounts the process sees are the same either way.
func buildkitSpec(in specInput) (*specs.Spec, error) {
	caps := defaultCaps()
	s := &specs.Spec{
		Version:  specs.Version,
		Root:     &specs.Root{Path: in.Rootfs},
		Hostname: Hostname,
		Process: &specs.Process{
			Cwd:          "/",
			Capabilities: &specs.LinuxCapabilities{Bounding: caps, Permitted: caps, Effective: caps},
		},
		Mounts: defaultMounts(in),
		Linux: &specs.Linux{
			MaskedPaths:   maskedPaths(),
			ReadonlyPaths: []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"},
			CgroupsPath:   in.CgroupsPath,
			Resources: &specs.LinuxResources{
				Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
			},
			Namespaces: []specs.LinuxNamespace{
				{Type: specs.PIDNamespace}, {Type: specs.IPCNamespace}, {Type: specs.UTSNamespace},
				{Type: specs.MountNamespace}, {Type: specs.NetworkNamespace},
				{Type: specs.CgroupNamespace},
			},
		},
	}
	if in.InUserNS {
		for i, m := range s.Mounts {
			if m.Destination == "/sys/fs/cgroup" {
				s.Mounts[i] = specs.Mount{Destination: m.Destination, Type: "bind", Source: "/sys/fs/cgroup",
					Options: []string{"rbind", "ro", "nosuid", "noexec", "nodev"}}
			}
		}
	}
	if in.PidsLimit > 0 && !in.InUserNS && in.CgroupsPath != "" {
		// Not in BuildKit's spec (it sets no pids limit); it changes
		// nothing a successful RUN writes.
		limit := in.PidsLimit
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &limit}
	}
	if in.NetNSPath != "" {
		for i, ns := range s.Linux.Namespaces {
			if ns.Type == specs.NetworkNamespace {
				s.Linux.Namespaces[i].Path = in.NetNSPath
			}
		}
	}
	profile, err := seccomp.GetDefaultProfile(s)
	if err != nil {
		return nil, fmt.Errorf("load default seccomp profile: %w", err)
	}
	s.Linux.Seccomp = profile
	return s, nil
}

// defaultCaps is containerd's defaultUnixCaps (Docker's default set).
func defaultCaps() []string {
	return []string{
		"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
		"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
		"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
	}
}

// defaultMounts is containerd's defaultMounts without /run, plus BuildKit's
// binds and cgroup mount, in BuildKit's order.
func defaultMounts(in specInput) []specs.Mount {
	roBind := []string{"nosuid", "noexec", "nodev", "rbind", "ro"}
	return []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}},
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		{Destination: "/etc/resolv.conf", Type: "bind", Source: in.ResolvConf, Options: roBind},
		{Destination: "/etc/hosts", Type: "bind", Source: in.HostsFile, Options: roBind},
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"ro", "nosuid", "noexec", "nodev"}},
	}
}

// maskedPaths is containerd's defaultLinuxMaskedPaths: a fixed list plus the
// thermal_throttle directory of every CPU that has one.
func maskedPaths() []string {
	paths := []string{
		"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/sys/firmware", "/sys/devices/virtual/powercap", "/proc/scsi",
	}
	return append(paths, thermalThrottlePaths()...)
}

func thermalThrottlePaths() []string {
	matches, _ := filepath.Glob("/sys/devices/system/cpu/cpu[0-9]*/thermal_throttle")
	cpu := func(p string) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(filepath.Base(filepath.Dir(p)), "cpu"))
		return n
	}
	sort.Slice(matches, func(i, j int) bool { return cpu(matches[i]) < cpu(matches[j]) })
	var out []string
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.IsDir() {
			out = append(out, m)
		}
	}
	return out
}

// userMounts are RUN --mount's mounts as BuildKit's executor adds them:
// binds with rbind (and ro), tmpfs with nosuid,nodev and a size.
func userMounts(ms []Mount) []specs.Mount {
	var out []specs.Mount
	for _, m := range ms {
		switch m.Type {
		case "bind":
			opts := []string{"rbind"}
			if m.ReadOnly {
				opts = append(opts, "ro")
			}
			out = append(out, specs.Mount{Destination: m.Dest, Type: "bind", Source: m.Source, Options: opts})
		case "tmpfs":
			opts := []string{"nosuid", "nodev"}
			if m.Size > 0 {
				opts = append(opts, "size="+strconv.FormatInt(m.Size, 10))
			}
			out = append(out, specs.Mount{Destination: m.Dest, Type: "tmpfs", Source: "tmpfs", Options: opts})
		}
	}
	return out
}
