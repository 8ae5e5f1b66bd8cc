// Package project builds one Containerfile outside a package tree, as
// `docker buildx build` does with BuildKit v0.34.2: the build context as
// BuildKit's client sends it (.dockerignore and <file>.dockerignore applied
// with BuildKit's own pattern rules, metadata kept), named contexts, and
// the outputs BuildKit writes (an OCI layout as a directory or a tar, a
// docker archive, or the final stage's files).
//
// Nothing here reads flags or the environment: cmd/stevedore resolves base
// images through imagestore and passes every input explicitly.
package project
