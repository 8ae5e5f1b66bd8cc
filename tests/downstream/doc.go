// Package downstream is the parity corpus of issue 16: Containerfiles
// shaped like the projects that build on StageX images (multi-stage apps
// on a busybox base served by Debian's docker-registry on 127.0.0.1 and
// pinned by digest, .dockerignore cases, named contexts, outputs), each
// built by `stevedore build -f` and by BuildKit v0.34.2 with what docker
// buildx build sends it. The OCI outputs must have the same manifest
// digest and the type=local trees must be equal file by file, metadata
// included. The suite is slow: it runs only with STEVEDORE_SLOW=1.
package downstream
