// Package fuzzing runs every parser's fuzz target for a bounded time in
// the slow suite (make test SLOW=1): package.toml, Containerfile, ADD
// archives, base image layouts and archives, layer tars, bundles and
// signatures. A crash fails the test and leaves the input in the
// package's testdata/fuzz/<target>/, to be committed as a regression test
// with the fix.
package fuzzing
