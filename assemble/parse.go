package assemble

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// plan is the target's parsed Containerfile with its stages resolved
// (containerfile.Graph), before anything runs.
type plan struct {
	path       string
	shlex      *shell.Lex
	globalArgs containerfile.Scope
	graph      *containerfile.Graph
	states     []*stageState
	target     *stageState
	extra      map[string]*stageState // contexts and images COPY --from and RUN --mount from= read
	contexts   map[string]string      // Target.Contexts
}

// parsePlan resolves the target's stage graph and makes a stage state of
// each stage with fresh BuildKit commands (dispatch expands them in
// place). The Containerfile was parsed once, before (Target.File).
func parsePlan(t Target) (*plan, error) {
	globals, err := t.globals()
	if err != nil {
		return nil, err
	}
	f := t.File
	g, err := f.Graph(t.StageTarget, globals, t.isContext)
	if err != nil {
		return nil, err
	}
	stages, err := f.Commands()
	if err != nil {
		return nil, err
	}
	p := &plan{path: f.Path, shlex: shell.NewLex(f.EscapeToken()), globalArgs: globals, graph: g, extra: map[string]*stageState{}, contexts: t.Contexts}
	for i, st := range stages {
		st.BaseName = g.Base[i].Ref.Name
		s := &stageState{index: i, name: st.Name, stage: st, cf: f.Stages[i], commands: st.Commands}
		if st.Name == "" {
			s.name = "stage-" + strconv.Itoa(i)
		}
		if pl := g.Platform[i]; pl != nil {
			s.platform = *pl
		}
		p.states = append(p.states, s)
	}
	for _, s := range p.states {
		if g.Replaced[s.index] {
			// A named context replaces the stage: its commands never run.
			s.replaced = true
			p.fromContext(s, s.stage.Name)
		} else {
			p.linkBase(s)
		}
		for _, src := range g.Uses[s.index] {
			s.deps = append(s.deps, p.source(src))
		}
	}
	p.target = p.states[g.Target.Index]
	for _, s := range p.reachable() {
		if s.unresolved != nil {
			return nil, s.unresolved
		}
	}
	return p, nil
}

// fromContext makes s the named context name: a local directory or an
// image.
func (p *plan) fromContext(s *stageState, name string) {
	if dir, ok := p.contextDir(name); ok {
		s.contextDir = dir
	} else {
		s.imageRef = name
	}
}

func (p *plan) contextDir(name string) (string, bool) {
	dir, ok := p.contexts[name]
	return dir, ok && dir != ""
}

// linkBase links a stage to what its FROM resolved to.
func (p *plan) linkBase(s *stageState) {
	b := p.graph.Base[s.index]
	switch b.Kind {
	case containerfile.KindStage:
		s.base = p.states[b.Stage.Index]
	case containerfile.KindContext:
		p.fromContext(s, b.Ref.Name)
	case containerfile.KindScratch:
		s.scratch = true
	case containerfile.KindImage:
		s.unresolved = unresolvedImage(b.Ref)
	}
}

// source is the state a COPY --from or RUN --mount from= reads.
func (p *plan) source(src containerfile.Source) *stageState {
	if src.Kind == containerfile.KindStage {
		return p.states[src.Stage.Index]
	}
	name := src.Ref.Name
	if s, ok := p.extra[name]; ok {
		return s
	}
	s := &stageState{index: -1, name: name}
	if src.Kind == containerfile.KindContext {
		p.fromContext(s, name)
	} else {
		s.unresolved = unresolvedImage(src.Ref)
	}
	p.extra[name] = s
	return s
}

// unresolvedImage is the error of an image reference the build was given
// no image for: an error only when the target needs it.
func unresolvedImage(r containerfile.Ref) error {
	return containerfile.Error{Pos: r.Pos, Msg: fmt.Sprintf("%s %s: an image reference this build was given no image for (the image store resolves them before the build)", r.How, r.Name)}
}

// lookup is the state a COPY --from or RUN --mount from= of stage s reads,
// by the name as written.
func (p *plan) lookup(s *stageState, name string) (*stageState, bool) {
	src, ok := p.graph.Lookup(s.cf, name)
	if !ok {
		return nil, false
	}
	if src.Kind == containerfile.KindStage {
		return p.states[src.Stage.Index], true
	}
	st, ok := p.extra[name]
	return st, ok
}

// reachable lists the stages the target needs, in file order, plus the
// extra context/image sources, as allReachableStages does.
func (p *plan) reachable() []*stageState {
	seen := map[*stageState]bool{}
	var visit func(s *stageState)
	visit = func(s *stageState) {
		if seen[s] {
			return
		}
		seen[s] = true
		if s.base != nil {
			visit(s.base)
		}
		for _, d := range s.deps {
			visit(d)
		}
	}
	visit(p.target)
	var out []*stageState
	for _, s := range p.states {
		if seen[s] {
			out = append(out, s)
		}
	}
	var extra []*stageState
	for s := range seen {
		if s.index < 0 {
			extra = append(extra, s)
		}
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].name < extra[j].name })
	return append(out, extra...)
}

func stageErr(path string, st instructions.Stage, format string, a ...any) error {
	line := 0
	if len(st.Location) > 0 {
		line = st.Location[0].Start.Line
	}
	return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, a...))
}

func cmdErr(path string, c instructions.Command, format string, a ...any) error {
	line := 0
	if loc := c.Location(); len(loc) > 0 {
		line = loc[0].Start.Line
	}
	return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, a...))
}
