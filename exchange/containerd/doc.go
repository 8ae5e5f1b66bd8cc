// Package containerd imports a built target into a running containerd's
// image store, through containerd's own v2 client (Import of an OCI archive
// stream), so that nerdctl, ctr and Kubernetes nodes can run it.
//
// It is a package of its own because containerd's client brings gRPC and
// containerd's API types: only the commands that talk to containerd link it.
//
// Naming: the image is stored as stagex/<target>:<tag> exactly as written,
// with no registry host added. containerd itself never normalizes names;
// tools that do (nerdctl, the CRI plugin) expand a short name with their
// default registry, so refer to the image there by its full stored name or
// by digest. The image points to the image index of out/<target> (the
// digest of index.json's first descriptor), whose manifest is the digest
// StageX records; every platform in the index is imported.
package containerd
