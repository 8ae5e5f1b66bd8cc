package assemble

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// linkSources resolves each stage's base and COPY --from sources: an
// earlier stage, a named context or image, or scratch, as dockerfile2llb's
// toCommand and resolveBaseImage do. A name that is none of these is an
// error only when the target needs its stage: BuildKit never resolves the
// images of unreachable stages (e.g. the package-<sub> stages of other
// subpackages, which may use dependencies this target does not have).
func (p *plan) linkSources(t Target) error {
	extra := map[string]*stageState{}
	for _, s := range p.states {
		if s.contextDir == "" && s.imageRef == "" {
			if err := p.resolveBase(s, t); err != nil {
				return err
			}
		}
		for _, cmd := range s.commands {
			if r, ok := cmd.(*instructions.RunCommand); ok {
				if err := p.linkMounts(s, r, t, extra); err != nil {
					return err
				}
				continue
			}
			c, ok := cmd.(*instructions.CopyCommand)
			if !ok || c.From == "" {
				continue
			}
			res, _, err := p.shlex.ProcessWord(c.From, shell.EnvsFromSlice(nil))
			if err != nil || res != c.From {
				return cmdErr(p.path, c, "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround")
			}
			src, err := p.copySource(s, c, t, extra)
			if err != nil {
				return err
			}
			s.deps = append(s.deps, src)
		}
	}
	for _, s := range p.reachable() {
		if s.unresolved != nil {
			return s.unresolved
		}
	}
	return nil
}

// linkMounts adds the stages, contexts and images a RUN's --mount
// from= flags read to the stage's dependencies, as dispatchRunMounts does.
func (p *plan) linkMounts(s *stageState, r *instructions.RunCommand, t Target, extra map[string]*stageState) error {
	if err := r.Expand(func(w string) (string, error) { return w, nil }); err != nil {
		return cmdErr(p.path, r, "%v", err)
	}
	for _, m := range instructions.GetMounts(r) {
		if m.From == "" {
			continue
		}
		src, err := p.copySource(s, &instructions.CopyCommand{From: m.From}, t, extra)
		if err != nil {
			return cmdErr(p.path, r, "RUN --mount from=%s: %v", m.From, err)
		}
		s.deps = append(s.deps, src)
	}
	return nil
}

// resolveBase links a stage to its FROM: an earlier stage, a named
// context, scratch or a named image.
func (p *plan) resolveBase(s *stageState, t Target) error {
	name := s.stage.BaseName
	if b, ok := p.byName[strings.ToLower(name)]; ok && b.index < s.index {
		s.base = b
		return nil
	}
	switch {
	case t.Contexts[name] != "":
		s.contextDir = t.Contexts[name]
	case t.Images[name] != "":
		s.imageRef = name
	case name == "scratch":
		s.scratch = true
	default:
		s.unresolved = stageErr(p.path, s.stage, "FROM %s: not an earlier stage, a stagex/<target> dependency or scratch; image references are not supported yet", name)
	}
	return nil
}

// copySource finds the state a COPY --from reads.
func (p *plan) copySource(s *stageState, c *instructions.CopyCommand, t Target, extra map[string]*stageState) (*stageState, error) {
	if i, err := strconv.Atoi(c.From); err == nil {
		if i < 0 || i >= len(p.states) {
			return nil, cmdErr(p.path, c, "invalid stage index %d", i)
		}
		src := p.states[i]
		if src.index >= s.index {
			return nil, cmdErr(p.path, c, "cannot copy from stage %q, it needs to be defined before current stage %q", c.From, s.name)
		}
		return src, nil
	}
	if src, ok := p.byName[strings.ToLower(c.From)]; ok {
		if src.index >= s.index {
			return nil, cmdErr(p.path, c, "cannot copy from stage %q, it needs to be defined before current stage %q", c.From, s.name)
		}
		return src, nil
	}
	if src, ok := extra[c.From]; ok {
		return src, nil
	}
	src := &stageState{index: -1, name: c.From}
	switch {
	case t.Contexts[c.From] != "":
		src.contextDir = t.Contexts[c.From]
	case t.Images[c.From] != "":
		src.imageRef = c.From
	default:
		src.unresolved = cmdErr(p.path, c, "COPY --from=%s: not a stage, a stagex/<target> dependency or a named context; image references are not supported yet", c.From)
	}
	extra[c.From] = src
	return src, nil
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

func cmdErr(path string, c instructions.Command, format string, a ...any) error {
	line := 0
	if loc := c.Location(); len(loc) > 0 {
		line = loc[0].Start.Line
	}
	return fmt.Errorf("%s:%d: %s", path, line, fmt.Sprintf(format, a...))
}
