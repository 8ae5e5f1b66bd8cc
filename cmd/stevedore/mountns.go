package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
)

// privateMountsEnv marks a stevedore that runs in its own mount namespace
// (re-executed by reexecPrivateMounts, or rootless in a user namespace).
const privateMountsEnv = "_STEVEDORE_MOUNTNS"

// reexecAllowed is set by main: only the real process entry point may
// re-execute /proc/self/exe (tests call run in-process).
var reexecAllowed bool

// inPrivateMounts makes the first thing a re-executed child does: its
// mounts stop propagating to the host, so the overlay mounts of a build
// vanish with the process, even after kill -9.
func inPrivateMounts() error {
	if os.Getenv(privateMountsEnv) != "1" || os.Geteuid() != 0 {
		return nil
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make the build's mounts private: %w", err)
	}
	return nil
}

// reexecPrivateMounts runs this very command again in a new mount namespace
// when it is root and not already in one, and reports whether it did (the
// child's exit status is then the command's). Builds mount overlays for
// every step; in their own namespace the kernel removes them when the
// process dies, however it dies, instead of leaving them on the host for
// stevedore clean to trip over.
func reexecPrivateMounts(cmd *cobra.Command) (bool, error) {
	if !reexecAllowed || os.Geteuid() != 0 || os.Getenv(privateMountsEnv) != "" {
		return false, nil
	}
	// Pdeathsig is tied to the thread that started the child.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c := exec.Command("/proc/self/exe", os.Args[1:]...)
	c.Env = append(os.Environ(), privateMountsEnv+"=1")
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	c.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	if err := c.Start(); err != nil {
		return true, fmt.Errorf("start stevedore in a private mount namespace: %w", err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case s := <-sigs:
				c.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err := c.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		if ee.ExitCode() < 0 {
			return true, fmt.Errorf("stevedore in its mount namespace: %v", err)
		}
		return true, silentExit(ee.ExitCode())
	}
	return true, err
}
