// Package containerfile parses a Containerfile, once, into typed stages and
// instructions with file:line positions. Parsing is BuildKit's own: the
// frontend/dockerfile parser and instructions packages read the file (heredocs
// included) and this package lowers their commands into stevedore's types,
// rejecting, with the line, every instruction and flag stevedore does not
// implement. Variable expansion uses BuildKit's shell lexer.
//
// The File is the one parse of a recipe: the plan (recipes) and the
// executor (assemble) both use it. Graph is the one stage graph: which
// stages a target needs and what each FROM, COPY --from and RUN --mount
// from= names (a named context, an earlier stage, scratch or an image),
// by one rule and with one wording for each error; it is resolved per
// target, since build arguments and contexts differ. Commands gives each
// build BuildKit's commands afresh from the parsed syntax tree, for the
// executor expands them in place.
package containerfile
