package sandbox

import (
	"fmt"

	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
)

// rlimitTypes maps --ulimit names to kernel resource numbers.
var rlimitTypes = map[string]int{
	"core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
	"as": unix.RLIMIT_AS,
}

// toConfigRlimits converts and checks rlimits. Raising a hard limit above
// the caller's needs CAP_SYS_RESOURCE; say so before libcontainer fails with
// "error setting rlimit type 7: operation not permitted".
func toConfigRlimits(rls []Rlimit) ([]configs.Rlimit, error) {
	var out []configs.Rlimit
	for _, r := range rls {
		typ, ok := rlimitTypes[r.Name]
		if !ok {
			return nil, fmt.Errorf("set ulimit %s: unknown limit %q", r, r.Name)
		}
		if r.Soft > r.Hard {
			return nil, fmt.Errorf("set ulimit %s: soft limit above hard limit", r)
		}
		var cur unix.Rlimit
		if err := unix.Getrlimit(typ, &cur); err == nil && r.Hard > cur.Max && !hasCapSysResource() {
			return nil, fmt.Errorf("set ulimit %s: hard limit above this process's hard limit %d "+
				"and no CAP_SYS_RESOURCE: raise it (ulimit -H) or lower the request", r, cur.Max)
		}
		out = append(out, configs.Rlimit{Type: typ, Hard: r.Hard, Soft: r.Soft})
	}
	return out, nil
}

func hasCapSysResource() bool {
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return false
	}
	return data[0].Effective&(1<<unix.CAP_SYS_RESOURCE) != 0
}
