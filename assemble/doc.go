// Package assemble executes a target's Containerfile stages into an image and
// writes config, manifest, index and OCI layout deterministically. Its
// subpackages read and write images in their transports.
package assemble
