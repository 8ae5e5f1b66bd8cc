// Package recipes loads and validates a StageX-style package tree:
// packages/<stage>/<name>/{package.toml,Containerfile}. It expands source
// placeholders, derives the build arguments StageX passes to every build, and
// turns packages and their subpackages into build targets.
//
// Loading never stops at the first problem: every problem of the tree is
// collected, each naming its file and field or line, so that a maintainer
// fixes them all in one pass.
package recipes
