// Package recipes loads and validates a StageX-style package tree:
// packages/<stage>/<name>/{package.toml,Containerfile}. It expands source
// placeholders, derives the build arguments StageX passes to every build, and
// turns packages and their subpackages into build targets.
//
// What a target is, its build arguments, --target, version and
// dependencies are exactly what StageX's own generator (src/targets.py)
// computes and passes to docker build, quirks included (see Target); the
// source file names and URLs are those of StageX's src/fetch.py. A tree
// those scripts would fail on is a problem here, naming the line and why.
//
// Loading never stops at the first problem: every problem of the tree is
// collected, each naming its file and field or line, so that a maintainer
// fixes them all in one pass.
package recipes
