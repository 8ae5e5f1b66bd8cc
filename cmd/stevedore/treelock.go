package main

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/internal/lock"
)

// treeLockFile is the tree lock, relative to the tree: builds hold it
// shared, clean and unbundle exclusively, so that clean never removes the
// scratch space of a running build and unbundle never swaps an image a
// build is reading.
const treeLockFile = ".stevedore/lock"

// lockTree takes the tree lock in mode, saying on stderr when it waits for
// another stevedore.
func lockTree(cmd *cobra.Command, root string, mode lock.Mode) (*lock.File, error) {
	path := filepath.Join(root, filepath.FromSlash(treeLockFile))
	what := "a build"
	if mode == lock.Shared {
		what = "stevedore clean or unbundle"
	}
	return lock.Acquire(cmd.Context(), path, mode, func() {
		fmt.Fprintf(cmd.ErrOrStderr(), "stevedore: waiting for %s running on this tree to finish (lock %s)\n", what, path)
	})
}
