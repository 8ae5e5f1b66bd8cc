// Package plan selects targets of a loaded tree and orders them with their
// dependencies for building: deterministic topological order, cycles
// reported with the path that closes them.
package plan
