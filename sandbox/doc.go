// Package sandbox runs one process in a root filesystem directory, isolated
// as BuildKit (v0.34.2, runc worker) isolates a Dockerfile RUN step, so that
// whatever the process writes into the rootfs is what BuildKit would have
// put into the layer.
//
// [Runner] is the small interface the rest of stevedore uses; [Libcontainer]
// implements it with runc's libcontainer linked into the binary. The binary
// must hand control to libcontainer when it is re-executed as a container's
// init process: see [IsInit], [Init] and cmd/stevedore/sandbox_init.go.
//
// What the process sees (hostname, /etc/hosts, /etc/resolv.conf, /dev,
// /proc, /sys, capabilities, seccomp, umask, PATH, HOME, rlimits, three
// pipes for stdio) is built from the defaults BuildKit takes from
// containerd's oci package, in the same order (spec.go). The one deliberate
// difference is a private cgroup namespace on cgroup v1 hosts too (see
// buildkitSpec); besides, a run gets a pids limit in its cgroup
// (Spec.PidsLimit, DefaultPidsLimit), which BuildKit does not set. A run
// has only lo unless Spec.OutboundNetwork gives it a network namespace of
// its own behind slirp4netns (outbound.go); it never shares the host's. Mount points that did not exist in the rootfs before the
// run are removed afterwards with BuildKit's MountStubsCleaner rules
// (stubs.go): a first RUN on an empty rootfs leaves dev/, proc/ and sys/,
// and no etc/.
//
// Every container, cgroup, mount stub and state directory is removed when a
// run ends, also when its context is cancelled. The container's processes
// die with the stevedore process that started them (a parent-death signal),
// and the next runner on the same state directory sweeps what such a run
// left behind.
//
// A Libcontainer compiles the seccomp profile once, in its first
// container, and replays libseccomp's program in the following ones
// (bpfcache.go, seccomp_cache_cgo.go): the kernel runs the same filter, and a
// RUN starts in about two thirds of the time `runc run` takes.
//
// The package never reads flags or the process environment: the state
// directory and everything else are explicit parameters. The conformance
// suite every Runner must pass is in sandbox/sandboxtest.
package sandbox
