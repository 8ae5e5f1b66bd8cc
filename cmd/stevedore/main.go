// Command stevedore builds StageX-style package trees into reproducible OCI
// images without a daemon. This file is the only place that reads the process
// environment and maps errors to exit codes; every command lives in its own
// file and calls one library function.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	// A rootless build re-executes stevedore in a user namespace; the
	// child waits there for its id maps, then starts over as its root.
	if err := continueInUserNS(); err != nil {
		fmt.Fprintf(os.Stderr, "stevedore: %v\n", err)
		os.Exit(exitFailure)
	}
	// A build re-executed in its own mount namespace stops its mounts
	// from propagating to the host first (see mountns.go).
	if err := inPrivateMounts(); err != nil {
		fmt.Fprintf(os.Stderr, "stevedore: %v\n", err)
		os.Exit(exitFailure)
	}
	reexecAllowed = true
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if !errors.As(err, &ee) && isCobraUsageError(err) {
		ee = &exitError{code: exitUsage, err: err}
	}
	if ee != nil {
		if ee.err != nil {
			fmt.Fprintf(stderr, "stevedore: %v\n", ee.err)
		}
		if ee.code == exitUsage {
			fmt.Fprintln(stderr, "Run 'stevedore --help' for usage.")
		}
		return ee.code
	}
	fmt.Fprintf(stderr, "stevedore: %v\n", err)
	return exitFailure
}

// exitError carries an exit code through cobra. A nil err prints nothing:
// the command has already reported (for example "images differ").
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageErrorf reports a command-line mistake (exit code 2).
func usageErrorf(format string, a ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, a...)}
}

// silentExit ends the command with code after it printed its own report.
func silentExit(code int) error { return &exitError{code: code} }

// isCobraUsageError recognises the command-line errors cobra itself
// returns (it has no error types for them).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
