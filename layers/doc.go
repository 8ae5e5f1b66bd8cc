// Package layers writes canonical tar layers exactly as BuildKit's exporter
// does (entry order, headers, clamped times, gzip), diffs root filesystems
// and applies layers. Not implemented yet; see the build issue.
package layers
