package main

import (
	"os"

	"github.com/stevedore-build/stevedore/sandbox"
)

// libcontainer re-executes this binary as "<argv0> init" to set up each
// sandbox from inside; hand such a process over before cobra sees it.
func init() {
	if sandbox.IsInit(os.Args, os.Getenv(sandbox.InitPipeEnv)) {
		sandbox.Init()
	}
}
