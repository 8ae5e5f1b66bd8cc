package sandbox_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/sandbox"
	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
)

// With HostNetwork (granted to explicitly allowed fetch steps only) the
// process shares the host's network: a listener on the host's loopback
// answers, which it never does in an ordinary run.
func TestHostNetworkReachesHost(t *testing.T) {
	r, rootfs := newRunner(t), sandboxtest.Busybox(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("hello from the host\n"))
			c.Close()
		}
	}()
	port := l.Addr().(*net.TCPAddr).Port
	script := "nc 127.0.0.1 " + strconv.Itoa(port) + " </dev/null; echo rc=$?"
	isolated := sandboxtest.RunScript(t, r, rootfs, script)
	if strings.Contains(isolated.Stdout, "hello from the host") {
		t.Fatalf("an ordinary run reached the host: %q", isolated.Stdout)
	}
	shared := sandboxtest.RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/sh", "-c", script},
		Rlimits: sandboxtest.StageXRlimits, HostNetwork: true})
	if !strings.Contains(shared.Stdout, "hello from the host") {
		t.Fatalf("a HostNetwork run did not reach the host: %q %q", shared.Stdout, shared.Stderr)
	}
}
