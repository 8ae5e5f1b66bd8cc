package assemble

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// plan is a parsed Containerfile with its stages resolved for one target,
// before anything runs.
type plan struct {
	path       string
	shlex      *shell.Lex
	globalArgs containerfile.Scope
	states     []*stageState
	byName     map[string]*stageState
	target     *stageState
}

// parsePlan parses the Containerfile with BuildKit's parser and
// instructions packages and resolves stage names, base names and COPY
// --from sources exactly as dockerfile2llb does.
func parsePlan(t Target) (*plan, error) {
	data, err := os.ReadFile(t.Containerfile)
	if err != nil {
		return nil, fmt.Errorf("read Containerfile: %w", err)
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, locate(t.Containerfile, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{}))
	if err != nil {
		return nil, locate(t.Containerfile, err)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%s: no stages to build", t.Containerfile)
	}
	p := &plan{path: t.Containerfile, shlex: shell.NewLex(res.EscapeToken), byName: map[string]*stageState{}}
	targetName := t.StageTarget
	if targetName == "" {
		targetName = stages[len(stages)-1].Name
	}
	cmds := make([]*instructions.ArgCommand, len(metaArgs))
	for i := range metaArgs {
		cmds[i] = &metaArgs[i]
	}
	p.globalArgs, err = containerfile.GlobalScope(p.shlex, cmds, oci.BuildPlatform, t.Platform, targetName, t.BuildArgs)
	if err != nil {
		return nil, locate(t.Containerfile, err)
	}
	if err := p.buildStates(stages, t); err != nil {
		return nil, err
	}
	if err := p.resolveTarget(t.StageTarget); err != nil {
		return nil, err
	}
	if err := p.linkSources(t); err != nil {
		return nil, err
	}
	return p, nil
}

// buildStates expands base names and platforms and registers stages.
func (p *plan) buildStates(stages []instructions.Stage, t Target) error {
	for i, st := range stages {
		base, _, err := p.shlex.ProcessWord(st.BaseName, p.globalArgs)
		if err != nil {
			return locate(p.path, parser.WithLocation(err, st.Location))
		}
		if base == "" {
			return stageErr(p.path, st, "base name (%s) should not be blank", st.BaseName)
		}
		st.BaseName = base
		s := &stageState{index: i, name: st.Name, stage: st, commands: st.Commands}
		if st.Platform != "" {
			v, _, err := p.shlex.ProcessWord(st.Platform, p.globalArgs)
			if err != nil {
				return locate(p.path, parser.WithLocation(err, st.Location))
			}
			pl, err := oci.ParsePlatform(v)
			if err != nil {
				return stageErr(p.path, st, "FROM --platform=%s: want os/arch[/variant]", v)
			}
			s.platform = pl
		}
		if st.Name != "" {
			if dir, ok := t.Contexts[st.Name]; ok {
				s.contextDir = dir // a named context replaces the stage
			} else if _, ok := t.Images[st.Name]; ok {
				s.imageRef = st.Name
			}
		} else {
			s.name = "stage-" + strconv.Itoa(i)
		}
		p.states = append(p.states, s)
		if st.Name != "" {
			p.byName[st.Name] = s
		}
	}
	return nil
}

func (p *plan) resolveTarget(name string) error {
	if name == "" {
		p.target = p.states[len(p.states)-1]
		return nil
	}
	s, ok := p.byName[strings.ToLower(name)]
	if !ok {
		return fmt.Errorf("%s: target stage %q could not be found", p.path, name)
	}
	p.target = s
	return nil
}

// locate prefixes a BuildKit error with file:line when it has a location.
func locate(path string, err error) error {
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		return fmt.Errorf("%s:%d: %w", path, le.Locations[0][0].Start.Line, err)
	}
	return fmt.Errorf("%s: %w", path, err)
}

func stageErr(path string, st instructions.Stage, format string, a ...any) error {
	line := 0
	if len(st.Location) > 0 {
		line = st.Location[0].Start.Line
	}
	return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, a...))
}
