// Command box is the seed of the example tree: a tiny, static, reproducible
// multi-call toolbox (a shell and a few file tools) that stevedore's own
// checkout builds with `go build -trimpath`, so the example tree needs no
// binary from elsewhere. It plays the part of StageX's bootstrap seed.
//
// Called as box APPLET ARGS... or through a link named after the applet.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

type applet func(args []string) error

var applets map[string]applet

func init() {
	applets = map[string]applet{
		"sh": runSh, "echo": echo, "mkdir": mkdir, "cat": cat, "cp": cp,
		"ln": ln, "chmod": chmod, "rm": rm, "true": func([]string) error { return nil },
		"false": func([]string) error { return errExit(1) }, "install": install,
	}
}

type errExit int

func (e errExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "box" {
		if len(args) == 0 {
			fmt.Fprintln(os.Stderr, "usage: box APPLET [ARGS...]")
			os.Exit(2)
		}
		name, args = args[0], args[1:]
	}
	os.Exit(call(name, args))
}

// call runs an applet and returns its exit status.
func call(name string, args []string) int {
	a, ok := applets[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "box: %s: applet not found\n", name)
		return 127
	}
	if err := a(args); err != nil {
		if e, ok := err.(errExit); ok {
			return int(e)
		}
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// install links every applet into dir, as `busybox --install -s`.
func install(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: install DIR")
	}
	self := "/bin/box"
	for name := range applets {
		if name == "install" {
			continue
		}
		if err := os.Symlink(self, filepath.Join(args[0], name)); err != nil && !os.IsExist(err) {
			return err
		}
	}
	return nil
}
