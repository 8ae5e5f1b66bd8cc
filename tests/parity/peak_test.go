package parity

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// peakHelperArg makes the test binary run a command and report its
// resource use instead of running tests (see runPeak).
const peakHelperArg = "-stevedore-peak-helper"

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == peakHelperArg {
		os.Exit(peakHelper(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// usage is one run of a command: wall and CPU (user+sys) time, and the
// peak resident set of its process tree.
type usage struct {
	wall, cpu time.Duration
	peakKiB   int64
}

// runPeak runs the binary and returns its wall and CPU time and peak
// resident set (its own and its descendants'). A child's ru_maxrss is at
// least what its parent had resident when it started the child (exec
// records the mm it replaces, and os/exec starts children sharing the
// parent's), so the benchmark's own peak (the BuildKit client's, a large
// source it read) would pass for stevedore's: a small helper process (this
// binary, re-executed before any test runs) starts stevedore and reports
// stevedore's own figures. A peak no larger than the helper's fails.
func runPeak(b *testing.B, bin string, args ...string) usage {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{peakHelperArg, bin}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("stevedore %v: %v\n%s", args, err, stderr.Bytes())
	}
	var u usage
	var helperKiB int64
	if _, err := fmt.Sscan(stdout.String(), &u.wall, &u.cpu, &u.peakKiB, &helperKiB); err != nil {
		b.Fatalf("stevedore %v: helper said %q: %v", args, stdout.String(), err)
	}
	if u.peakKiB <= helperKiB {
		b.Fatalf("stevedore %v: peak RSS %d KiB is not above its starter's own %d KiB, so it is not stevedore's", args, u.peakKiB, helperKiB)
	}
	return u
}

// peakHelper runs args[0] with args[1:], its output on stderr, and prints
// its wall time, CPU time, peak RSS in KiB and then this process's own
// peak RSS in KiB; its exit status is the command's.
func peakHelper(args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var self syscall.Rusage
	if !ok || syscall.Getrusage(syscall.RUSAGE_SELF, &self) != nil {
		fmt.Fprintln(os.Stderr, "no resource usage")
		return 1
	}
	cpu := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	fmt.Printf("%d %d %d %d\n", wall, cpu, ru.Maxrss, self.Maxrss)
	return cmd.ProcessState.ExitCode()
}
