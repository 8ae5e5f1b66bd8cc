package sandboxtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/sandbox"
)

// testNetwork checks that the sandbox has only loopback, up, and no route
// to a listener on the host's loopback.
func testNetwork(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 1)
	go func() {
		if c, err := ln.Accept(); err == nil {
			accepted <- struct{}{}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	script := fmt.Sprintf(`cat /sys/class/net/lo/operstate; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-up
if echo x | nc -w 2 127.0.0.1 %d; then echo reached-host; else echo unreachable; fi`, port)
	out := RunScript(t, r, rootfs, script)
	if want := "unknown\nlo-up\nunreachable\n"; out.Stdout != want {
		t.Errorf("stdout = %q, want %q (stderr %q)", out.Stdout, want, out.Stderr)
	}
	select {
	case <-accepted:
		t.Errorf("the host's 127.0.0.1:%d accepted a connection from the sandbox", port)
	default:
	}
}

// testCancel checks that cancelling the context kills the whole process
// tree promptly and leaves nothing behind.
func testCancel(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := r.Run(ctx, sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/sh", "-c", "sleep 100 & (sleep 200 &); sleep 300"}})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Run after cancel: err = %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %v after cancel, want prompt return", d)
	}
	if pids := ProcessesIn(rootfs); len(pids) != 0 {
		t.Errorf("processes still running in the rootfs after cancel: %v", pids)
	}
	if m := MountsUnder(t, rootfs); len(m) != 0 {
		t.Errorf("still mounted under the rootfs after cancel: %q", m)
	}
}

// testBadInput checks that bad input fails with an error naming the cause
// and leaves the rootfs and the mount table as they were.
func testBadInput(t *testing.T, f Factory) {
	r := f(t)
	rootfs := Busybox(t)
	missing := filepath.Join(t.TempDir(), "no-such-rootfs")
	for _, tc := range []struct {
		name  string
		spec  sandbox.Spec
		want  []string
		isErr error
	}{
		{"missing rootfs", sandbox.Spec{Rootfs: missing, Args: []string{"/bin/true"}}, []string{"rootfs", missing}, nil},
		{"command not in rootfs", sandbox.Spec{Rootfs: rootfs, Args: []string{"gcc", "-v"}}, []string{`"gcc"`, rootfs}, sandbox.ErrCommandNotFound},
		{"absolute command not in rootfs", sandbox.Spec{Rootfs: rootfs, Args: []string{"/usr/bin/gcc"}}, []string{"/usr/bin/gcc"}, sandbox.ErrCommandNotFound},
		{"user not in passwd", sandbox.Spec{Rootfs: rootfs, User: "nobody42", Args: []string{"/bin/true"}}, []string{"nobody42", "passwd"}, nil},
		{"no command", sandbox.Spec{Rootfs: rootfs}, []string{"no command"}, nil},
		{"bad environment entry", sandbox.Spec{Rootfs: rootfs, Env: []string{"NOEQUALS"}, Args: []string{"/bin/true"}}, []string{"NOEQUALS", "KEY=VALUE"}, nil},
		{"relative working directory", sandbox.Spec{Rootfs: rootfs, Cwd: "work", Args: []string{"/bin/true"}}, []string{`"work"`, "absolute"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := List(t, rootfs)
			_, err := r.Run(context.Background(), tc.spec)
			if err == nil {
				t.Fatalf("Run succeeded, want an error naming %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if tc.isErr != nil && !errors.Is(err, tc.isErr) {
				t.Errorf("error %q is not %v", err, tc.isErr)
			}
			if after := List(t, rootfs); strings.Join(after, " ") != strings.Join(before, " ") {
				t.Errorf("rootfs changed by a failed Run: %q -> %q", before, after)
			}
			if m := MountsUnder(t, rootfs); len(m) != 0 {
				t.Errorf("still mounted under the rootfs: %q", m)
			}
		})
	}
}

// testConcurrent runs several sandboxes at once.
func testConcurrent(t *testing.T, f Factory) {
	r := f(t)
	const n = 4
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		rootfs := Busybox(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := r.Run(context.Background(), sandbox.Spec{Rootfs: rootfs,
				Args: []string{"/bin/sh", "-c", fmt.Sprintf("sleep 0.2; echo %d > /n", i)}})
			if err == nil && res.ExitCode != 0 {
				err = fmt.Errorf("exit %d", res.ExitCode)
			}
			if err == nil {
				if b, rerr := os.ReadFile(filepath.Join(rootfs, "n")); rerr != nil || string(b) != fmt.Sprintf("%d\n", i) {
					err = fmt.Errorf("sandbox %d wrote %q, %v", i, b, rerr)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
