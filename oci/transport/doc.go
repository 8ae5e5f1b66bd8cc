// Package transport opens images in the forms stevedore reads them from: an
// OCI image layout directory, "oci:DIR[:tag]", "oci-archive:FILE[:tag]" (a
// tar of a layout), "docker-archive:FILE" (docker save / podman save format)
// and an out/ target name of a package tree.
//
// An opened Store gives raw access at every level (index.json, nested
// indexes, manifests, configs, layers) so that callers can compare the exact
// bytes. Every blob is re-hashed as it is read: a blob whose content does not
// match its digest is an error naming the blob. go-containerregistry's layout
// reader does not verify, which is why every read goes through oci/layout,
// the one verified layout reader (archives through layout.FromFiles).
package transport
