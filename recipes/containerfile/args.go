package containerfile

import (
	"sort"

	"github.com/containerd/platforms"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// GlobalScope is the scope FROM lines are expanded in, exactly as
// BuildKit's dockerfile2llb builds it (defaultArgs, then buildMetaArgs):
// the automatic platform and stage arguments, each overridden by a build
// argument of the same name, then every ARG before the first FROM, which
// takes the build argument's value when there is one, else its default
// expanded in the scope so far, else stays unset. targetStage is the
// stage being built ("" for an unnamed last stage). The plan and the
// build both use it, so they agree on every base name.
func GlobalScope(lex *shell.Lex, metaArgs []*instructions.ArgCommand, build, target ocispec.Platform, targetStage string, buildArgs map[string]string) (Scope, error) {
	if targetStage == "" {
		targetStage = "default"
	}
	env := Scope{}
	for _, kv := range [][2]string{
		{"BUILDPLATFORM", platforms.Format(build)}, {"BUILDOS", build.OS}, {"BUILDOSVERSION", ""},
		{"BUILDARCH", build.Architecture}, {"BUILDVARIANT", build.Variant},
		{"TARGETPLATFORM", platforms.Format(target)}, {"TARGETOS", target.OS}, {"TARGETOSVERSION", ""},
		{"TARGETARCH", target.Architecture}, {"TARGETVARIANT", target.Variant}, {"TARGETSTAGE", targetStage},
	} {
		if v, ok := buildArgs[kv[0]]; ok {
			kv[1] = v
		}
		env[kv[0]] = kv[1]
	}
	for _, cmd := range metaArgs {
		for _, kp := range cmd.Args {
			if v, ok := buildArgs[kp.Key]; ok {
				env[kp.Key] = v
			} else if kp.Value != nil {
				v, _, err := lex.ProcessWord(*kp.Value, env)
				if err != nil {
					return nil, parser.WithLocation(err, cmd.Location())
				}
				env[kp.Key] = v
			}
		}
	}
	return env, nil
}

// GlobalArgs is GlobalScope for this file: the scope its FROM lines are
// expanded in when stageTarget ("" = the last stage) is built for target
// on build.
func (f *File) GlobalArgs(buildArgs map[string]string, build, target ocispec.Platform, stageTarget string) (Scope, error) {
	cmds := make([]*instructions.ArgCommand, len(f.MetaArgs))
	for i, a := range f.MetaArgs {
		cmds[i] = a.Command().(*instructions.ArgCommand)
	}
	if stageTarget == "" {
		stageTarget = f.Stages[len(f.Stages)-1].Name
	}
	env, err := GlobalScope(shell.NewLex(f.escape()), cmds, build, target, stageTarget, buildArgs)
	if err != nil {
		return nil, Error{Pos: Pos{File: f.Path, Line: errorLine(err)}, Msg: "expand ARG: " + errorMessage(err)}
	}
	return env, nil
}

// Expand expands variables in word as BuildKit's shell lexer does.
func (f *File) Expand(word string, env map[string]string) (string, error) {
	v, _, err := shell.NewLex(f.escape()).ProcessWord(word, Scope(env))
	return v, err
}

// EscapeToken is the file's escape character, '\\' unless a directive
// set another.
func (f *File) EscapeToken() rune { return f.escape() }

func (f *File) escape() rune {
	if f.Escape == 0 {
		return '\\'
	}
	return f.Escape
}

// Scope is a variable scope for BuildKit's shell lexer (an EnvGetter).
type Scope map[string]string

// Get returns the value of k.
func (m Scope) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }

// Keys lists the variables, sorted.
func (m Scope) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
