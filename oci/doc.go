// Package oci holds what every package that reads or writes OCI images
// shares: the one platform type (the image-spec's ocispec.Platform, parsed
// here, normalised and formatted by containerd's platforms package, an empty
// OS kept empty by NormalizePlatform) and the platform stevedore builds on.
// Its subpackages read and write layouts (oci/layout) and open images of
// every transport (oci/transport); see docs/architecture.md for the
// layering.
package oci
