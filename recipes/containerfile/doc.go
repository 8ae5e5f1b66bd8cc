// Package containerfile parses a Containerfile into typed stages and
// instructions with file:line positions. Parsing is BuildKit's own: the
// frontend/dockerfile parser and instructions packages read the file (heredocs
// included) and this package lowers their commands into stevedore's types,
// rejecting, with the line, every instruction and flag stevedore does not
// implement. Variable expansion uses BuildKit's shell lexer.
package containerfile
