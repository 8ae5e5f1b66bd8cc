package sandbox_test

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/sandbox"
	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
)

// serve answers every connection on l with msg.
func serve(t *testing.T, l net.Listener, msg string) int {
	t.Helper()
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte(msg))
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// externalIPv4 is an address of this host other than loopback.
func externalIPv4(t *testing.T) string {
	t.Helper()
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP.String()
		}
	}
	t.Skip("no non-loopback IPv4 address to serve on")
	return ""
}

// An outbound run (a fetch step) reaches a service on the host's external
// address but not one on the host's loopback, directly or through the
// gateway, and not a host abstract unix socket; an ordinary run reaches
// neither.
func TestOutboundNetwork(t *testing.T) {
	helpers := map[string]sandbox.NetworkHelpers{}
	if p, err := exec.LookPath("slirp4netns"); err == nil {
		helpers["slirp4netns"] = sandbox.NetworkHelpers{Slirp4netns: p}
	}
	if len(helpers) == 0 {
		t.Fatal("slirp4netns is not installed: run tests/install-deps")
	}
	requireRoot(t)
	ext := externalIPv4(t)
	lo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	loPort := serve(t, lo, "hello from the host's loopback\n")
	el, err := net.Listen("tcp", ext+":0")
	if err != nil {
		t.Fatal(err)
	}
	extPort := serve(t, el, "hello from the host's address\n")
	abs, err := net.Listen("unix", "@stevedore-outbound-test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { abs.Close() })
	script := strings.Join([]string{
		"nc -w 2 127.0.0.1 " + strconv.Itoa(loPort) + " </dev/null",
		"nc -w 2 10.0.2.2 " + strconv.Itoa(loPort) + " </dev/null",
		"nc -w 2 " + ext + " " + strconv.Itoa(extPort) + " </dev/null",
		"cat /etc/resolv.conf",
		"grep -c stevedore-outbound-test /proc/net/unix",
		"true",
	}, "; ")
	rootfs := sandboxtest.Busybox(t)
	isolated := sandboxtest.RunScript(t, newRunner(t), rootfs, script)
	if strings.Contains(isolated.Stdout, "hello from") {
		t.Errorf("an ordinary run reached the host: %q", isolated.Stdout)
	}
	for name, h := range helpers {
		t.Run(name, func(t *testing.T) {
			r, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: filepath.Join(t.TempDir(), "state"), Network: h})
			if err != nil {
				t.Fatal(err)
			}
			out := sandboxtest.RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/sh", "-c", script},
				Rlimits: sandboxtest.StageXRlimits, OutboundNetwork: true})
			if !strings.Contains(out.Stdout, "hello from the host's address") {
				t.Errorf("an outbound run did not reach the host's address %s: %q %q", ext, out.Stdout, out.Stderr)
			}
			if strings.Contains(out.Stdout, "hello from the host's loopback") {
				t.Errorf("an outbound run reached the host's loopback: %q", out.Stdout)
			}
			if !strings.Contains(out.Stdout, "nameserver 10.0.2.3") {
				t.Errorf("resolv.conf of an outbound run: %q", out.Stdout)
			}
			if !strings.Contains(out.Stdout, "\n0\n") {
				t.Errorf("an outbound run sees the host's abstract socket: %q", out.Stdout)
			}
		})
	}
	// Without a helper, an outbound run is refused with what to install.
	r := newRunner(t)
	_, err = r.Run(t.Context(), sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/true"}, OutboundNetwork: true})
	if err == nil || !strings.Contains(err.Error(), "slirp4netns") {
		t.Errorf("outbound run without a helper: %v", err)
	}
}
