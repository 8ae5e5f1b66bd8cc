// Package baseimages tests image references in FROM and COPY --from
// (issue 7 point 1) end to end with the stevedore binary: an image from an
// OCI layout, an oci-archive, a docker-archive and Debian's docker-registry
// on 127.0.0.1 gives the same output as the same image used as a
// stagex/<target> dependency; tags are pinned in stevedore.lock; --offline
// builds from the pin and the store; an unpinned tag offline, a digest no
// source serves and a registry serving other bytes for a pinned digest are
// errors naming the reference. The suite is slow: it runs only with
// STEVEDORE_SLOW=1, and then a missing tool fails it.
package baseimages
