// Package buildkitref runs the BuildKit reference build from Go tests. It
// drives tests/parity/buildkit.sh, the single source of truth for how
// BuildKit v0.34.2 is built, started, stopped and called with StageX's
// flags, and it helps tests explain a parity failure.
//
// A parity test does, for each target of a tree:
//
//	d, err := buildkitref.Start(ctx, buildkitref.Options{Workdir: t.TempDir()})
//	defer d.Stop(ctx)
//	err = d.Build(ctx, buildkitref.BuildOptions{Context: ..., Name: "core-foo", Dest: want})
//	// build got with stevedore
//	buildkitref.RequireIdentical(t, want, got)
//
// A failure to build or start BuildKit is an error, never a skip.
package buildkitref
