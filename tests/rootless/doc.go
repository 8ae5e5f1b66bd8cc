// Package rootless builds the example tree and the corner-case tree as an
// unprivileged user with a subordinate id range and requires the digests
// of a root build; it also checks stevedore doctor's verdicts for users
// that lack what rootless builds need.
package rootless
