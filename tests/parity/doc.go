// Package parity holds the BuildKit parity suites. They are slow and run
// only with STEVEDORE_SLOW=1; then a BuildKit that cannot be built or
// started is a failure, never a skip. The reference itself is driven by
// buildkit.sh through package buildkitref.
package parity
