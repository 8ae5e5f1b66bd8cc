// Package exchange tests stevedore's exports against the real consumers on
// this machine: podman load and run (both archive formats), skopeo inspect,
// Debian's docker-registry (push, then pull back by digest) and Debian's
// containerd (load, then ctr images ls), and the bundle round trip. Every
// daemon listens on 127.0.0.1 or a socket in a temp dir, with private
// storage. The suites are slow: they run only with STEVEDORE_SLOW=1, and
// then a missing tool or a daemon that does not start fails the test.
package exchange
