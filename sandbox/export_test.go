package sandbox

import specs "github.com/opencontainers/runtime-spec/specs-go"

// OnRunForTest makes l report the id of each run it starts.
func OnRunForTest(l *Libcontainer, f func(id string)) { l.onRun = f }

// RuncSpecForTest returns the OCI spec Run uses for args in rootfs, with the
// process filled in, so that a benchmark can run the same container with the
// runc CLI. The hosts and resolv.conf files are kept under dir.
func RuncSpecForTest(rootfs, dir string, args []string) (*specs.Spec, error) {
	hosts, resolv, err := ensureEtcFiles(dir)
	if err != nil {
		return nil, err
	}
	s, err := buildkitSpec(specInput{
		Rootfs: rootfs, HostsFile: hosts, ResolvConf: resolv,
		CgroupsPath: "/stevedore-runc-bench",
	})
	if err != nil {
		return nil, err
	}
	s.Process.Args = args
	s.Process.Env = []string{"PATH=" + DefaultPath}
	s.Process.Rlimits = []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2048, Hard: 16384}}
	return s, nil
}

// CachedProgramsForTest returns the seccomp programs l has cached.
func CachedProgramsForTest(l *Libcontainer) [][]byte {
	l.bpf.mu.Lock()
	defer l.bpf.mu.Unlock()
	var out [][]byte
	for _, p := range l.bpf.progs {
		out = append(out, p)
	}
	return out
}
