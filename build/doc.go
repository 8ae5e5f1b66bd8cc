// Package build builds targets of a loaded package tree, in dependency
// order, into out/<stage>-<name>/ OCI layouts: it verifies each target's
// sources, prepares its named contexts (fetch, stagex/<dep>), runs the
// assemble executor and writes the image atomically.
package build
