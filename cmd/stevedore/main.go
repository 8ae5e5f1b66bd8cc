// Command stevedore builds StageX-style package trees into reproducible OCI
// images without a daemon. This file is the only place that reads the process
// environment and maps errors to exit codes; every command lives in its own
// file and calls one library function.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the CLI with args and returns the process exit code.
func run(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintf(os.Stderr, "stevedore: %v\n", ee.err)
		}
		if ee.code == exitUsage {
			fmt.Fprintln(os.Stderr, "Run 'stevedore --help' for usage.")
		}
		return ee.code
	}
	fmt.Fprintf(os.Stderr, "stevedore: %v\n", err)
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
