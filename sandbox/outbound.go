package sandbox

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The addresses of an outbound network, slirp4netns's defaults: the process is 10.0.2.100/24, the gateway
// 10.0.2.2 and the DNS forwarder 10.0.2.3 (it forwards to the host's
// resolvers from outside the namespace).
const (
	outboundDNS     = "10.0.2.3"
	outboundResolv  = "nameserver " + outboundDNS + "\n"
	outboundMTU     = "65520"
	outboundReadyIn = 10 * time.Second
)

// NetworkHelpers are the user-mode network stacks an outbound run may use,
// as absolute paths ("" when not installed). slirp4netns is what rootless
// Podman uses: the run gets its own network namespace, and its connections
// leave through a process in the host's namespace that opens ordinary
// sockets, so the host's loopback (refused with --disable-host-loopback)
// and its abstract unix sockets (which belong to the host's network
// namespace) are out of reach. (pasta was tried too: Debian 12's passt
// could not join a namespace given by /proc path as root, and answered on
// the gateway address with --no-map-gw; it is not used.)
type NetworkHelpers struct {
	Slirp4netns string
}

func (h NetworkHelpers) none() bool { return h.Slirp4netns == "" }

// outboundNet is a network namespace with a user-mode network stack
// attached, alive until close.
type outboundNet struct {
	ns    *os.File
	path  string // what the container joins: /proc/<pid>/fd/<n>
	close func() error
}

// newOutboundNet creates a network namespace with loopback up and starts
// slirp4netns to give it outbound access.
func newOutboundNet(h NetworkHelpers) (*outboundNet, error) {
	if h.none() {
		return nil, errors.New("a RUN with outbound network needs slirp4netns (apt-get install slirp4netns): the host's own network is never shared")
	}
	ns, err := newNetNS()
	if err != nil {
		return nil, fmt.Errorf("create a network namespace for an outbound run: %w", err)
	}
	n := &outboundNet{ns: ns, path: fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), ns.Fd())}
	stop, err := startSlirp(h.Slirp4netns, n.path)
	if err != nil {
		ns.Close()
		return nil, err
	}
	n.close = func() error {
		err := stop()
		ns.Close()
		return err
	}
	return n, nil
}

// newNetNS returns a new network namespace with lo up, held open by the
// returned file. The calling goroutine's thread enters it and comes back.
func newNetNS() (*os.File, error) {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer orig.Close()
	if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("unshare: %w", err)
	}
	ns, nsErr := os.Open("/proc/thread-self/ns/net")
	loErr := loopbackUp()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// The thread stays locked and dies with this goroutine: it must
		// never run other goroutines in the wrong namespace.
		if ns != nil {
			ns.Close()
		}
		return nil, fmt.Errorf("return to the host's network namespace: %w", err)
	}
	runtime.UnlockOSThread()
	if nsErr != nil {
		return nil, nsErr
	}
	if loErr != nil {
		ns.Close()
		return nil, fmt.Errorf("bring up lo: %w", loErr)
	}
	return ns, nil
}

// loopbackUp sets lo up in the calling thread's network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// startSlirp attaches slirp4netns to the namespace at nsPath and waits
// until it has configured it. --disable-host-loopback refuses connections
// to the host's loopback through the gateway address.
func startSlirp(bin, nsPath string) (func() error, error) {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer readyR.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return nil, err
	}
	cmd := exec.Command(bin, "--configure", "--mtu="+outboundMTU, "--disable-host-loopback",
		"--enable-sandbox", "--enable-seccomp", "--ready-fd=3", "--exit-fd=4",
		"--netns-type=path", nsPath, "tap0")
	cmd.ExtraFiles = []*os.File{readyW, exitR}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	// No parent-death signal: it is tied to the forking thread, which the
	// Go runtime may retire while slirp4netns must live on (its tap device
	// dies with it). The exit fd ends it instead, also when this process
	// dies: the pipe's only write end is here.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	readyW.Close()
	exitR.Close()
	if err != nil {
		exitW.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop := func() error {
		exitW.Close()
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		return nil
	}
	ready := make(chan error, 1)
	go func() {
		b := make([]byte, 1)
		_, err := readyR.Read(b)
		ready <- err
	}()
	select {
	case err = <-ready:
	case <-time.After(outboundReadyIn):
		err = fmt.Errorf("not ready after %v", outboundReadyIn)
	}
	if err != nil {
		stop()
		return nil, fmt.Errorf("%s: %v: %s", bin, err, strings.TrimSpace(stderr.String()))
	}
	return stop, nil
}

// outboundResolvConf returns the path of the resolv.conf of outbound runs
// (the helper's DNS forwarder), under stateDir's shared etc directory.
func outboundResolvConf(stateDir string) (string, error) {
	p := filepath.Join(stateDir, etcDir, "resolv-outbound.conf")
	if err := writeIfChanged(p, []byte(outboundResolv)); err != nil {
		return "", err
	}
	return p, nil
}
