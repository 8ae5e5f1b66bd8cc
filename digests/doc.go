// Package digests records and verifies image manifest digests
// (digests/<stage>.txt), and its subpackages sign, verify signatures and
// explain why two images differ.
package digests
