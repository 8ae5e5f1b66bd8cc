// Package sandbox runs one process in a root filesystem directory, isolated
// as BuildKit isolates a RUN step.
package sandbox
