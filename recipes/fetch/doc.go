// Package fetch puts the source files a package tree needs in place,
// every byte SHA-256-verified, and makes them available to the build.
//
// It is the "fetch" step of stevedore's pipeline (see
// docs/architecture.md): the caller turns package.toml sources into
// plain [Item] values (mirror templates already expanded) and calls [Fetch];
// afterwards [LinkInto] exposes fetch/<stage>/<origin>/ as
// packages/<stage>/<origin>/fetch/, as StageX's Makefile does.
//
// The package deliberately imports nothing else from stevedore, so that it can
// be tested, and reused, on its own.
//
// Guarantees, because a build must never start from a file that merely looks
// complete:
//
//   - a file appears under its final name only after its hash matched: it is
//     written to a hidden temp file in the same directory (".<file>.tmp-*"),
//     fsynced, then renamed;
//   - a failed or cancelled source leaves nothing behind, not even the temp
//     file, and a present file with the wrong hash is removed;
//   - a present file with the right hash is left untouched and costs no
//     network request;
//   - results and errors do not depend on scheduling: errors are sorted by
//     package, source key and path.
//
// Where a file can come from, in order: the destination itself (already
// present), each of [Options.MirrorDirs], then each URL of the item (file://,
// http://, https://). In offline mode http(s) URLs are never used; file://
// URLs and mirror dirs are, since they are local.
package fetch
