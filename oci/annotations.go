package oci

import (
	"strings"
)

// AnnotationImageName is the index.json annotation with the full image name
// that containerd and podman load use (containerd's
// images.AnnotationImageName, named here so that no package below exchange
// imports containerd's image store). The tag is ocispec.AnnotationRefName.
const AnnotationImageName = "io.containerd.image.name"

// RefTag is the tag an ocispec.AnnotationRefName value carries: the part
// after the last ":" of a reference, the value itself when it is a bare
// tag, "latest" when it is empty or a reference without a tag. It does not
// check the tag's syntax.
func RefTag(ref string) string {
	if i := strings.LastIndex(ref, ":"); i >= 0 && !strings.Contains(ref[i:], "/") {
		return ref[i+1:]
	}
	if ref == "" || strings.Contains(ref, "/") {
		return "latest"
	}
	return ref
}
