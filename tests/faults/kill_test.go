package faults

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// trigger says when to send SIGKILL: after the nth line of output matching
// line, or once a file matching glob (under the tree) exists, or from the
// start when neither is set; then after delay.
type trigger struct {
	line  *regexp.Regexp
	nth   int
	glob  string
	delay time.Duration
}

// outcome is how one attempt ended.
type outcome struct {
	killed bool   // SIGKILL arrived while stevedore ran
	err    error  // exit error when not killed
	output string // stdout and stderr, interleaved
}

// command is one stevedore invocation of the suite.
type command struct {
	bin, dir string
	args     []string
	env      []string
}

func (c command) String() string { return "stevedore " + strings.Join(c.args, " ") }

// start starts c in its own process group with its output piped.
func (c command) start() (*exec.Cmd, io.ReadCloser, error) {
	cmd := exec.Command(c.bin, c.args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, nil, err
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	err = cmd.Start()
	pw.Close()
	if err != nil {
		pr.Close()
		return nil, nil, err
	}
	return cmd, pr, nil
}

// run runs c to the end.
func (c command) run() (string, error) {
	cmd := exec.Command(c.bin, c.args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		err = fmt.Errorf("%s: %v\n%s", c, err, out)
	}
	return string(out), err
}

// runKilled runs c and kills its process (the stevedore process only, as
// a crash or the OOM killer would) with SIGKILL when tr fires. Processes
// it started that outlive it (sandboxed RUNs) are left running for a
// moment, then killed too, so the next attempt starts from a dead build.
func runKilled(c command, tr trigger) outcome {
	return runFaulted(c, tr, func(cmd *exec.Cmd) { cmd.Process.Signal(syscall.SIGKILL) })
}

// runFaulted runs c and calls fault when tr fires, unless c has ended.
func runFaulted(c command, tr trigger, fault func(*exec.Cmd)) outcome {
	cmd, pr, err := c.start()
	if err != nil {
		return outcome{err: err}
	}
	var out bytes.Buffer
	var mu sync.Mutex
	fired := make(chan struct{})
	var once sync.Once
	fire := func() { once.Do(func() { close(fired) }) }
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		seen := 0
		for sc.Scan() {
			mu.Lock()
			out.Write(sc.Bytes())
			out.WriteByte('\n')
			mu.Unlock()
			if tr.line != nil && tr.line.Match(sc.Bytes()) {
				if seen++; seen >= max(tr.nth, 1) {
					fire()
				}
			}
		}
		io.Copy(io.Discard, pr)
		pr.Close()
	}()
	var waitErr error
	exited := make(chan struct{})
	go func() { waitErr = cmd.Wait(); close(exited) }()
	switch {
	case tr.glob != "":
		go pollGlob(filepath.Join(c.dir, tr.glob), fire, exited)
	case tr.line == nil:
		fire()
	}
	var res outcome
	select {
	case <-exited:
	case <-fired:
		timer := time.NewTimer(tr.delay)
		select {
		case <-exited:
		case <-timer.C:
			fault(cmd)
			<-exited
		}
		timer.Stop()
	}
	res.killed = isKilled(waitErr)
	if !res.killed {
		res.err = waitErr
	}
	// Whatever stevedore started and left behind dies now: the suite
	// tests what the next command makes of a dead build's files.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-readDone
	mu.Lock()
	res.output = out.String()
	mu.Unlock()
	return res
}

// pollGlob calls fire once pattern matches a file, polling every 200µs
// until the process exits.
func pollGlob(pattern string, fire func(), exited <-chan struct{}) {
	for {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			fire()
			return
		}
		select {
		case <-exited:
			return
		case <-time.After(200 * time.Microsecond):
		}
	}
}

func isKilled(err error) bool {
	ee, ok := err.(*exec.ExitError)
	if !ok {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}
