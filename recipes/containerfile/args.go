package containerfile

import (
	"sort"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Platform is an OS/architecture[/variant] triple, as in linux/arm/v7.
type Platform struct{ OS, Arch, Variant string }

// ParsePlatform parses "os/arch[/variant]".
func ParsePlatform(s string) (Platform, bool) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return Platform{}, false
	}
	p := Platform{OS: parts[0], Arch: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, true
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Arch
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// AutomaticArgs are the platform arguments BuildKit defines in the global
// scope for a build on build for target.
func AutomaticArgs(build, target Platform) map[string]string {
	return map[string]string{
		"BUILDPLATFORM":  build.String(),
		"BUILDOS":        build.OS,
		"BUILDARCH":      build.Arch,
		"BUILDVARIANT":   build.Variant,
		"TARGETPLATFORM": target.String(),
		"TARGETOS":       target.OS,
		"TARGETARCH":     target.Arch,
		"TARGETVARIANT":  target.Variant,
	}
}

// GlobalArgs computes the global scope that FROM lines are expanded in:
// the automatic arguments, then each meta ARG (before the first FROM) with
// the build argument's value if given, else its default expanded in the
// scope so far.
func (f *File) GlobalArgs(buildArgs, automatic map[string]string) (map[string]string, error) {
	env := map[string]string{}
	for k, v := range automatic {
		env[k] = v
	}
	lex := shell.NewLex(f.escape())
	for _, a := range f.MetaArgs {
		for _, d := range a.Args {
			if v, ok := buildArgs[d.Key]; ok {
				env[d.Key] = v
				continue
			}
			if d.Default == nil {
				if _, ok := env[d.Key]; !ok {
					env[d.Key] = ""
				}
				continue
			}
			v, _, err := lex.ProcessWord(*d.Default, mapEnv(env))
			if err != nil {
				return nil, Error{Pos: a.Position(), Msg: "expand ARG " + d.Key + ": " + err.Error()}
			}
			env[d.Key] = v
		}
	}
	return env, nil
}

// Expand expands variables in word as BuildKit's shell lexer does.
func (f *File) Expand(word string, env map[string]string) (string, error) {
	v, _, err := shell.NewLex(f.escape()).ProcessWord(word, mapEnv(env))
	return v, err
}

func (f *File) escape() rune {
	if f.Escape == 0 {
		return '\\'
	}
	return f.Escape
}

// mapEnv adapts a map to the lexer's EnvGetter.
type mapEnv map[string]string

func (m mapEnv) Get(k string) (string, bool) { v, ok := m[k]; return v, ok }

func (m mapEnv) Keys() []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
