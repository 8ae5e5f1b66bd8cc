// Package policy writes a containers/image (Podman, Skopeo, CRI-O)
// configuration that requires stevedore's signatures when pulling images:
// policy.json with one signedBy requirement per key of a keyring (all of
// them required: policy.json cannot say "any M of N") and a registries.d
// file pointing at the signature lookaside.
package policy
