package hostcheck

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Check is the outcome of one check.
type Check struct {
	Name string
	OK   bool
	// Required checks must pass for a build to run: as root, or rootless
	// (which adds user namespaces, subordinate ranges and newuidmap).
	Required bool
	Detail   string
	Fix      string // what to do when not OK
}

func (c Check) String() string {
	status := "ok  "
	switch {
	case !c.OK && c.Required:
		status = "FAIL"
	case !c.OK:
		status = "warn"
	}
	s := fmt.Sprintf("%s %-22s %s", status, c.Name, c.Detail)
	if !c.OK && c.Fix != "" {
		s += " -- " + c.Fix
	}
	return s
}

// Input is what the checks look at.
type Input struct {
	UID        int      // effective uid of the caller
	User       string   // user name of the caller ("" if unknown)
	NofileHard uint64   // the caller's hard RLIMIT_NOFILE
	NeedNofile uint64   // what builds request (StageX: 16384)
	Dirs       []string // tree and work directories needing free space
	MinFreeGiB uint64
	// Root is prepended to /proc, /sys, /etc and /usr paths (tests point it
	// at a fake host); "" is the real one.
	Root string
	// Slirp4netns is the path of slirp4netns found on PATH ("": none);
	// only fetch steps (--network-for-fetch-steps) need it.
	Slirp4netns string
}

// Run runs every check. Rootless builds need no cgroups (the sandbox runs
// without them) but a user namespace with the caller's subordinate ranges.
func Run(in Input) []Check {
	checks := []Check{privileges(in), namespaces(in), userns(in), overlay(in), overlayUserns(in), cgroups(in), nofile(in)}
	checks = append(checks, disk(in)...)
	checks = append(checks, subids(in, "subuid"), subids(in, "subgid"), idmapTools(in), slirp(in))
	return checks
}

// slirp warns when slirp4netns is missing: fetch steps get their outbound
// network only through it (never the host's network namespace).
func slirp(in Input) Check {
	c := Check{Name: "slirp4netns", OK: in.Slirp4netns != "", Detail: in.Slirp4netns}
	if !c.OK {
		c.Detail = "not found: build --network-for-fetch-steps cannot run"
		c.Fix = "apt-get install slirp4netns"
	}
	return c
}

// OK reports whether every required check passed.
func OK(cs []Check) bool {
	for _, c := range cs {
		if c.Required && !c.OK {
			return false
		}
	}
	return true
}

func (in Input) path(p string) string { return filepath.Join(in.Root, p) }

func privileges(in Input) Check {
	c := Check{Name: "privileges", OK: true}
	if in.UID == 0 {
		c.Detail = "running as root"
		return c
	}
	c.Detail = fmt.Sprintf("running as uid %d: builds run rootless, in a user namespace (the checks below)", in.UID)
	return c
}

func namespaces(in Input) Check {
	c := Check{Name: "namespaces", Required: true, OK: true, Detail: "mount, pid, ipc, uts, network, cgroup, user"}
	for _, ns := range []string{"mnt", "pid", "ipc", "uts", "net", "cgroup", "user"} {
		if _, err := os.Lstat(in.path("/proc/self/ns/" + ns)); err != nil {
			c.OK = false
			c.Detail = fmt.Sprintf("no %s namespace (%v)", ns, err)
			c.Fix = "use a kernel with CONFIG_NAMESPACES and the " + ns + " namespace, outside a container that hides it"
			return c
		}
	}
	return c
}

func userns(in Input) Check {
	c := Check{Name: "user namespaces", OK: true, Required: in.UID != 0, Detail: "unprivileged user namespaces allowed"}
	if v, err := readInt(in.path("/proc/sys/user/max_user_namespaces")); err == nil && v == 0 {
		c.OK, c.Detail = false, "user.max_user_namespaces is 0"
		c.Fix = "sysctl -w user.max_user_namespaces=15000"
	}
	if v, err := readInt(in.path("/proc/sys/kernel/unprivileged_userns_clone")); err == nil && v == 0 {
		c.OK, c.Detail = false, "kernel.unprivileged_userns_clone is 0"
		c.Fix = "sysctl -w kernel.unprivileged_userns_clone=1"
	}
	return c
}

func overlay(in Input) Check {
	c := Check{Name: "overlayfs", Required: true}
	data, err := os.ReadFile(in.path("/proc/filesystems"))
	if err == nil && strings.Contains(string(data), "\toverlay\n") {
		c.OK, c.Detail = true, "overlay filesystem available"
		return c
	}
	c.Detail = "the kernel does not list overlay in /proc/filesystems"
	c.Fix = "modprobe overlay (CONFIG_OVERLAY_FS)"
	return c
}

// overlayUserns checks that overlayfs can be mounted in a user namespace
// with userxattr (Linux 5.11), which rootless builds use.
func overlayUserns(in Input) Check {
	c := Check{Name: "overlayfs in userns", Required: in.UID != 0}
	rel, err := os.ReadFile(in.path("/proc/sys/kernel/osrelease"))
	if err != nil {
		c.Detail = fmt.Sprintf("cannot read the kernel release: %v", err)
		c.Fix = "use Linux 5.11 or later"
		return c
	}
	var major, minor int
	fmt.Sscanf(strings.TrimSpace(string(rel)), "%d.%d", &major, &minor)
	c.OK = major > 5 || major == 5 && minor >= 11
	c.Detail = "Linux " + strings.TrimSpace(string(rel))
	if !c.OK {
		c.Detail += ": overlay mounts in a user namespace need 5.11 (userxattr)"
		c.Fix = "build as root, or use a newer kernel"
	}
	return c
}

func cgroups(in Input) Check {
	c := Check{Name: "cgroups", Required: in.UID == 0}
	if _, err := os.Stat(in.path("/sys/fs/cgroup/cgroup.controllers")); err == nil {
		c.OK, c.Detail = true, "cgroup v2"
		return c
	}
	if _, err := os.Stat(in.path("/sys/fs/cgroup/memory")); err == nil {
		c.OK, c.Detail = true, "cgroup v1 (cgroupfs driver)"
		return c
	}
	c.Detail = "no cgroup hierarchy under /sys/fs/cgroup"
	c.Fix = "mount cgroup v2 on /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup)"
	return c
}

func nofile(in Input) Check {
	c := Check{Name: "nofile limit", Required: true, OK: in.NofileHard >= in.NeedNofile}
	c.Detail = fmt.Sprintf("hard limit %d, builds set %d", in.NofileHard, in.NeedNofile)
	if !c.OK {
		c.Fix = fmt.Sprintf("raise the hard limit to at least %d (ulimit -Hn %d as root, or limits.conf)", in.NeedNofile, in.NeedNofile)
	}
	return c
}

func disk(in Input) []Check {
	var out []Check
	for _, d := range in.Dirs {
		c := Check{Name: "free disk", Required: true}
		var st syscall.Statfs_t
		probe := d
		for {
			if err := syscall.Statfs(probe, &st); err == nil || filepath.Dir(probe) == probe {
				break
			}
			probe = filepath.Dir(probe)
		}
		free := st.Bavail * uint64(st.Bsize) >> 30
		c.OK = free >= in.MinFreeGiB
		c.Detail = fmt.Sprintf("%d GiB free under %s", free, d)
		if !c.OK {
			c.Fix = fmt.Sprintf("free at least %d GiB there, or pass --work-dir on a larger filesystem", in.MinFreeGiB)
		}
		out = append(out, c)
	}
	return out
}

// subids checks the caller's range in /etc/subuid or /etc/subgid.
func subids(in Input, kind string) Check {
	c := Check{Name: kind + " range", Required: in.UID != 0}
	if in.UID == 0 {
		c.OK, c.Detail = true, "not needed as root"
		return c
	}
	file := in.path("/etc/" + kind)
	size, err := rangeSize(file, in.User, strconv.Itoa(in.UID))
	c.OK = err == nil && size >= 65536
	switch {
	case err != nil:
		c.Detail = fmt.Sprintf("cannot read %s: %v", file, err)
	case size == 0:
		c.Detail = fmt.Sprintf("no range for %s (uid %d) in %s", in.User, in.UID, file)
	default:
		c.Detail = fmt.Sprintf("%d ids for %s in %s", size, in.User, file)
	}
	if !c.OK {
		c.Fix = fmt.Sprintf("as root: usermod --add-sub%ss 100000-165535 %s", kind[3:], in.User)
	}
	return c
}

// rangeSize adds up the ranges of name or uid in a subuid/subgid file.
func rangeSize(file, name, uid string) (uint64, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var total uint64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(parts) != 3 || (parts[0] != name && parts[0] != uid) {
			continue
		}
		if n, err := strconv.ParseUint(parts[2], 10, 32); err == nil {
			total += n
		}
	}
	return total, sc.Err()
}

// idmapTools checks that newuidmap and newgidmap can map ranges: setuid
// root or with file capabilities.
func idmapTools(in Input) Check {
	c := Check{Name: "newuidmap/newgidmap", OK: true, Required: in.UID != 0, Detail: "setuid or with capabilities"}
	for _, tool := range []string{"newuidmap", "newgidmap"} {
		p := in.path("/usr/bin/" + tool)
		fi, err := os.Stat(p)
		if err != nil {
			c.OK, c.Detail, c.Fix = false, tool+" not found", "apt-get install uidmap"
			return c
		}
		if fi.Mode()&os.ModeSetuid == 0 && !hasCaps(p) {
			c.OK, c.Detail = false, tool+" is neither setuid nor has file capabilities"
			c.Fix = "chmod u+s " + p + " (or setcap cap_setuid+ep " + p + ")"
			return c
		}
	}
	return c
}

func hasCaps(p string) bool {
	sz, err := syscall.Getxattr(p, "security.capability", nil)
	return err == nil && sz > 0
}

func readInt(p string) (int, error) {
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}
