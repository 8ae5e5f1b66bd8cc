// Package sandbox runs one process in a root filesystem directory, isolated
// as BuildKit (v0.34.2, runc worker) isolates a Dockerfile RUN step, so that
// whatever the process writes into the rootfs is what BuildKit would have
// put into the layer.
//
// [Runner] is the small interface the rest of stevedore uses; [Libcontainer]
// implements it with runc's libcontainer linked into the binary. The binary
// must hand control to libcontainer when it is re-executed as the container's
// init process: see [IsInit] and cmd/stevedore/sandbox_init.go.
//
// What the process sees (hostname, /etc/hosts, /etc/resolv.conf, /dev, /proc,
// /sys, capabilities, seccomp, umask, PATH, HOME, rlimits) is built from the
// same defaults BuildKit takes from containerd's oci package, in the same
// order; see spec.go. Mount points that did not exist in the rootfs before
// the run are removed afterwards with BuildKit's MountStubsCleaner rules
// (stubs.go). Every container, cgroup and state directory is removed when a
// run ends, and [Libcontainer.Sweep] removes what a killed earlier run left.
//
// The package never reads flags or the process environment: the state
// directory, rlimits and everything else are explicit parameters.
package sandbox
