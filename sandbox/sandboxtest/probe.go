package sandboxtest

import (
	"os"
	"regexp"
	"strings"
)

// ProbeScript prints, in "== name" sections, what a RUN step can observe of
// its sandbox. The BuildKit parity test runs the same script under BuildKit
// (`RUN --network=none /bin/sh /probe.sh`).
const ProbeScript = `echo "== hostname"; hostname
echo "== hosts"; cat /etc/hosts
echo "== resolv.conf"; cat /etc/resolv.conf
echo "== umask"; umask
echo "== nofile"; ulimit -n; ulimit -Hn
echo "== id"; id
echo "== status"; grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp|Seccomp_filters):' /proc/self/status
echo "== speculation"; grep -E '^Speculation' /proc/self/status
echo "== signals"; grep -E '^Sig(Blk|Ign)' /proc/self/status
echo "== ulimits"; ulimit -a
echo "== dev"; ls -A /dev
echo "== mounts"; cut -d' ' -f2,3,4 /proc/self/mounts
echo "== netdev"; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '
echo "== env"; env | sort
echo "== oom"; cat /proc/self/oom_score_adj
echo "== cgroup"; cat /proc/self/cgroup
echo "== pid"; echo $$
echo "== denied"; for c in "unshare -U true" "unshare -m true" "unshare -n true" "ionice -c 1 true" "chroot / true"; do echo "$c: $($c 2>&1)"; done
echo "== stdio"; for f in 0 1 2; do readlink /proc/$$/fd/$f; done | sed 's/\[[0-9]*\]//'
echo "== fds"; ls /proc/$$/fd
`

// Probe is ProbeScript's output split into sections.
type Probe map[string]string

// ParseProbe splits ProbeScript output into its sections.
func ParseProbe(out string) Probe {
	p := Probe{}
	name := ""
	for _, line := range strings.SplitAfter(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "== "); ok {
			name = strings.TrimSpace(rest)
			p[name] = ""
			continue
		}
		if name != "" {
			p[name] += line
		}
	}
	return p
}

// HostSections are the probe sections that depend on the host (CPU
// vulnerabilities, inherited limits and signal dispositions): compared with
// BuildKit on the same host by the parity test, not with fixed values.
var HostSections = []string{"speculation", "signals", "ulimits", "resolv.conf", "cgroup"}

// Normalize removes what legitimately differs between two runs of the probe
// or between BuildKit and a conforming sandbox:
//   - the root mount's type and options (BuildKit's is an overlay of its
//     snapshots, the sandbox's is whatever holds the rootfs directory), and
//     the filesystem of the read-only hosts/resolv.conf binds;
//   - BuildKit's tracing (OTEL_*/TRACEPARENT, /dev/otel-grpc.sock), which is
//     random per build and must never be reproduced;
//   - SHLVL (BuildKit wraps the script in one more `sh -c`);
//   - the paths in /proc/self/cgroup: BuildKit on a cgroup v1 host shares the
//     host's cgroup namespace and shows /buildkit/<random id>, the sandbox
//     always has its own cgroup namespace and shows "/" (see CgroupsPrivate).
func (p Probe) Normalize() Probe {
	out := Probe{}
	for k, v := range p {
		out[k] = v
	}
	out["mounts"] = normalizeMounts(p["mounts"])
	out["dev"] = dropLines(p["dev"], func(l string) bool { return l == "otel-grpc.sock" })
	out["env"] = dropLines(p["env"], func(l string) bool {
		return strings.HasPrefix(l, "OTEL_") || strings.HasPrefix(l, "TRACEPARENT=") || strings.HasPrefix(l, "SHLVL=")
	})
	out["cgroup"] = cgroupPath.ReplaceAllString(p["cgroup"], ":")
	return out
}

var cgroupPath = regexp.MustCompile(`:/[^\n]*`)

// CgroupsPrivate reports whether every line of a /proc/self/cgroup listing
// shows the root path, that is whether the cgroup namespace is private.
func CgroupsPrivate(s string) bool {
	for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
		if !strings.HasSuffix(line, ":/") {
			return false
		}
	}
	return s != ""
}

func normalizeMounts(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || f[0] == "/dev/otel-grpc.sock" {
			continue
		}
		ro := strings.Split(f[2], ",")[0]
		switch f[0] {
		case "/":
			b.WriteString("/ ROOT\n")
		case "/etc/hosts", "/etc/resolv.conf":
			b.WriteString(f[0] + " BIND " + ro + "\n")
		default:
			b.WriteString(f[0] + " " + f[1] + " " + ro + "\n")
		}
	}
	return b.String()
}

func dropLines(s string, drop func(string) bool) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		if line == "" || drop(strings.TrimSuffix(line, "\n")) {
			continue
		}
		b.WriteString(line)
	}
	return b.String()
}

// Expected returns the normalized probe sections measured under BuildKit
// v0.34.2 (runc worker, `--ulimit nofile=2048:16384`, RUN --network=none,
// root, no ENV) on this kind of host. The cgroup mounts depend on the host's
// cgroup v1 hierarchies and are read from the test process's mountinfo.
func Expected() Probe {
	return Probe{
		"hostname": "buildkitsandbox\n",
		"hosts":    "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n",
		"umask":    "0022\n",
		"nofile":   "2048\n16384\n",
		"id":       "uid=0 gid=0 groups=0\n",
		"status": "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\n" +
			"CapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t2\nSeccomp_filters:\t1\n",
		"dev":    "fd\nfull\nmqueue\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n",
		"netdev": "lo\n",
		"env":    "HOME=/\nPATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/\n",
		"oom":    "0\n",
		"pid":    "1\n",
		// Measured with RUN ["/bin/busybox", "sh", "-c", "readlink /proc/$$/fd/N..."]:
		// three separate pipes, stdin at end of file; no other descriptors.
		"stdio": "pipe:\npipe:\npipe:\n",
		"fds":   "0\n1\n2\n",
		"mounts": "/ ROOT\n/proc proc rw\n/dev tmpfs rw\n/dev/pts devpts rw\n/dev/shm tmpfs rw\n/dev/mqueue mqueue rw\n" +
			"/sys sysfs ro\n/etc/resolv.conf BIND ro\n/etc/hosts BIND ro\n" +
			hostCgroupMounts() + protectedMounts(),
	}
}

// protectedMounts lists the read-only and masked paths (containerd's
// defaults, which BuildKit keeps) that exist on this host, as runc mounts
// them: read-only paths as read-only proc binds, masked directories as
// read-only tmpfs, masked files as binds of the container's /dev/null.
func protectedMounts() string {
	var b strings.Builder
	for _, p := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"} {
		if _, err := os.Stat(p); err == nil {
			b.WriteString(p + " proc ro\n")
		}
	}
	for _, p := range []string{"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
		"/sys/firmware", "/sys/devices/virtual/powercap", "/proc/scsi"} {
		fi, err := os.Stat(p)
		switch {
		case err != nil:
		case fi.IsDir():
			b.WriteString(p + " tmpfs ro\n")
		default:
			b.WriteString(p + " tmpfs rw\n")
		}
	}
	return b.String()
}

// hostCgroupMounts lists what runc mounts on /sys/fs/cgroup for this host:
// on a cgroup v2 host the unified hierarchy, read-only; on a v1 (or hybrid)
// host a tmpfs with each v1 hierarchy read-only below it.
func hostCgroupMounts() string {
	b, err := ReadMountinfo()
	if err != nil {
		return ""
	}
	var v1 strings.Builder
	for _, line := range strings.Split(string(b), "\n") {
		_, post, ok := strings.Cut(line, " - ")
		f := strings.Fields(line)
		if !ok || len(f) < 5 {
			continue
		}
		fstype := strings.Fields(post)[0]
		switch {
		case f[4] == "/sys/fs/cgroup" && fstype == "cgroup2":
			return "/sys/fs/cgroup cgroup2 ro\n"
		case strings.HasPrefix(f[4], "/sys/fs/cgroup/") && fstype == "cgroup":
			v1.WriteString(f[4] + " cgroup ro\n")
		}
	}
	return "/sys/fs/cgroup tmpfs rw\n" + v1.String()
}
