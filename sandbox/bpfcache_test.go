package sandbox_test

import (
	"bytes"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/sandbox"
	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
)

// TestSeccompProgramReplay checks that replaying a cached seccomp program
// gives containers the filter libcontainer would have compiled: libseccomp's
// export is deterministic (two runners compile the same bytes), and the
// filter the kernel runs is libcontainer's -ENOSYS stub followed by exactly
// those bytes, for the compiling run and for the replaying one. (The stub's
// order of architecture checks varies from run to run in libcontainer
// itself: it iterates over a Go map.)
func TestSeccompProgramReplay(t *testing.T) {
	r := newRunner(t)
	rootfs := sandboxtest.Busybox(t)
	compiled := loadedFilter(t, r, rootfs)
	progs := sandbox.CachedProgramsForTest(r)
	if len(progs) != 1 {
		t.Fatalf("cached programs after the first run = %d, want 1", len(progs))
	}
	export := progs[0]
	replayed := loadedFilter(t, r, rootfs)
	for name, loaded := range map[string][]byte{"compiled": compiled, "replayed": replayed} {
		if len(loaded) < len(export) || !bytes.Equal(loaded[len(loaded)-len(export):], export) {
			t.Errorf("%s filter (%d bytes) does not end with libseccomp's program (%d bytes)", name, len(loaded), len(export))
		}
	}
	if len(compiled) != len(replayed) {
		t.Errorf("filter lengths: compiled %d, replayed %d", len(compiled), len(replayed))
	}
	other := newRunner(t)
	sandboxtest.RunScript(t, other, sandboxtest.Busybox(t), "true")
	if p := sandbox.CachedProgramsForTest(other); len(p) != 1 || !bytes.Equal(p[0], export) {
		t.Error("two runners compiled different seccomp programs: replaying would not be equivalent")
	}
	first := sandboxtest.ParseProbe(sandboxtest.RunScript(t, other, rootfs, sandboxtest.ProbeScript).Stdout).Normalize()
	second := sandboxtest.ParseProbe(sandboxtest.RunScript(t, r, rootfs, sandboxtest.ProbeScript).Stdout).Normalize()
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("probe differs between runs (-first +second):\n%s", diff)
	}
	for name, want := range sandboxtest.Expected() {
		if second[name] != want {
			t.Errorf("replaying run: probe section %q = %q, want %q", name, second[name], want)
		}
	}
}

// loadedFilter runs a sleeping container and reads its seccomp filter with
// PTRACE_SECCOMP_GET_FILTER (the test runs as root with CAP_SYS_ADMIN).
func loadedFilter(t *testing.T, r sandbox.Runner, rootfs string) []byte {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		// sleep is not the container's init, whose exit the runner waits for.
		_, err := r.Run(ctx, sandbox.Spec{Rootfs: rootfs, Args: []string{"/bin/sh", "-c", "sleep 30 & wait"}})
		done <- err
	}()
	defer func() { cancel(); <-done }()
	pid := 0
	waitFor(t, "the sleeping container", func() bool {
		for _, p := range sandboxtest.ProcessesIn(rootfs) {
			comm, _ := os.ReadFile("/proc/" + p + "/comm")
			status, _ := os.ReadFile("/proc/" + p + "/status")
			if string(comm) == "sleep\n" && strings.Contains(string(status), "Seccomp:\t2") {
				pid, _ = strconv.Atoi(p)
				return true
			}
		}
		return false
	})
	return seccompFilter(t, pid)
}

func seccompFilter(t *testing.T, pid int) []byte {
	// ptrace requests come from one thread.
	ch := make(chan []byte)
	go func() {
		runtime.LockOSThread()
		ch <- readFilter(t, pid)
	}()
	select {
	case b := <-ch:
		return b
	case <-time.After(10 * time.Second):
		t.Fatal("timed out reading the seccomp filter")
		return nil
	}
}

func readFilter(t *testing.T, pid int) []byte {
	if err := unix.PtraceSeize(pid); err != nil {
		t.Errorf("ptrace seize %d: %v", pid, err)
		return nil
	}
	defer unix.PtraceDetach(pid)
	if err := unix.PtraceInterrupt(pid); err != nil {
		t.Errorf("ptrace interrupt %d: %v", pid, err)
		return nil
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(pid, &ws, unix.WALL, nil); err != nil {
		t.Errorf("wait %d: %v", pid, err)
		return nil
	}
	n, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0, 0, 0, 0)
	if errno != 0 {
		t.Errorf("PTRACE_SECCOMP_GET_FILTER %d: %v", pid, errno)
		return nil
	}
	buf := make([]byte, n*8)
	if _, _, errno := unix.Syscall6(unix.SYS_PTRACE, unix.PTRACE_SECCOMP_GET_FILTER, uintptr(pid), 0,
		uintptr(unsafe.Pointer(&buf[0])), 0, 0); errno != 0 {
		t.Errorf("PTRACE_SECCOMP_GET_FILTER %d: %v", pid, errno)
		return nil
	}
	return buf
}
