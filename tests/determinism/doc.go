// Package determinism builds the example tree twice under different
// conditions and requires the same bytes, and the digests recorded in
// examples/digests.
package determinism
