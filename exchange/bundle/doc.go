// Package bundle packs what building some targets needs beyond the recipes
// (their and their dependencies' fetched sources, and the dependency images
// from out/) into one tar file, and unpacks it on another machine, so that
// an air-gapped host can `stevedore build` with no network at all.
//
// A bundle is an uncompressed tar. Its first member, stevedore-bundle.json,
// lists every other member with its SHA-256 and size; then come the
// manifest's signatures, if any (stevedore-bundle.json.sig-<N>, binary
// OpenPGP signed messages made with the keys that sign images, checked by
// the caller through UnpackTrusted); the members follow in the manifest's
// order, under the paths they take in a tree (fetch/<stage>/<origin>/
// <file>, out/<target>/...). Sources and image blobs are already compressed,
// so the tar is not.
//
// Why unpacking is two passes: a bundle crosses an air gap on removable
// media, and a half-unpacked tree whose files look complete is worse than
// none. Unpack first reads the whole bundle, checking every member against
// the manifest (hash, size, no member missing, extra, duplicated or outside
// fetch/ and out/, every out/ blob named by its own digest) and every
// destination for conflicts; only then does it write, each file and each
// out/<target> atomically, re-hashing again as it writes.
package bundle
