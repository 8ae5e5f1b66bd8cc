// Package oci holds what every package that reads or writes OCI images
// shares: the one platform type (the image-spec's ocispec.Platform, parsed
// here, normalised and formatted by containerd's platforms package) and the
// platform stevedore builds on. Its subpackages open images
// (oci/transport); see docs/architecture.md for the layering.
package oci
