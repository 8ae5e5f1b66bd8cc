package hardening

import (
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// serveHTTP answers every request on l with body.
func serveHTTP(t *testing.T, l net.Listener, body string) int {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(body)) })}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return l.Addr().(*net.TCPAddr).Port
}

// A fetch step (--network-for-fetch-steps) reaches a server on the host's
// external address, but not a service on the host's loopback: it has its
// own network namespace.
func TestFetchStepCannotReachHostLoopback(t *testing.T) {
	bin := stevedore(t)
	ext := ""
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			ext = n.IP.String()
			break
		}
	}
	if ext == "" {
		t.Skip("no non-loopback IPv4 address to serve on")
	}
	lo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	loPort := serveHTTP(t, lo, "a host-only service\n")
	el, err := net.Listen("tcp", ext+":0")
	if err != nil {
		t.Fatal(err)
	}
	extPort := serveHTTP(t, el, "a source\n")
	cf := "FROM stagex/core-busybox\n" +
		"RUN if timeout 5 wget -q -O- http://127.0.0.1:" + strconv.Itoa(loPort) + "/; then echo REACHED-THE-HOST-LOOPBACK; exit 1; fi; " +
		"timeout 20 wget -q -O /downloaded http://" + ext + ":" + strconv.Itoa(extPort) + "/\n"
	root := writeTree(t, bin, map[string]string{"fetcher": cf})
	out, err := run(bin, root, "build", "--network-for-fetch-steps", "--progress=plain")
	if err != nil || strings.Contains(out, "| REACHED-THE-HOST-LOOPBACK\n") {
		t.Fatalf("build: %v\n%s", err, out)
	}
}
