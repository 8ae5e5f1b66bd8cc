package containerfile

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
)

// How a reference is made, as messages name it.
const (
	HowFrom  = "FROM"
	HowCopy  = "COPY --from"
	HowMount = "RUN --mount from"
)

// Ref is a reference from the file to something outside it: a named build
// context (fetch, stagex/...) or an image.
type Ref struct {
	Name string // expanded reference, e.g. "stagex/core-busybox"
	Pos  Pos
	How  string // HowFrom, HowCopy or HowMount
	// Platform is the FROM --platform of the stage that uses the
	// reference, expanded; "" means the target platform.
	Platform string
}

// Kind is what a FROM, COPY --from or RUN --mount from= names.
type Kind int

const (
	// KindStage is an earlier stage of the file.
	KindStage Kind = iota
	// KindContext is a named build context (fetch, stagex/<target>, or
	// whatever the build was given under that name).
	KindContext
	// KindScratch is FROM scratch.
	KindScratch
	// KindImage is an image reference: neither stage, context nor scratch.
	KindImage
)

// Source is what a reference resolves to.
type Source struct {
	Kind  Kind
	Stage *Stage // KindStage
	Ref   Ref
}

// Graph is a file's stages resolved for building one target stage, as
// BuildKit's dockerfile2llb resolves them: the one rule of stevedore's
// plan and executor.
//
// A name resolves, in this order, to a named context (contexts win over
// stages of the same name, and a named stage whose name is a context is
// replaced by it, also where an index names it), an earlier stage (names match case-insensitively;
// COPY --from and RUN --mount from= also take a stage index), scratch
// (FROM only), else an image reference.
type Graph struct {
	File   *File
	Target *Stage
	// Stages are every stage the target needs, itself included, in file
	// order; stages replaced by a named context are not among them.
	Stages   []*Stage
	Contexts []Ref // named contexts used, sorted by name then line
	Images   []Ref // image references used, sorted by name then line

	// Base is each stage's FROM, resolved, by Stage.Index; its Ref.Name is
	// the base name expanded in the global scope.
	Base []Source
	// Platform is each stage's FROM --platform, expanded and parsed; nil
	// when the stage has none (the target platform).
	Platform []*ocispec.Platform
	// Uses are each stage's COPY --from and RUN --mount from= sources, in
	// line order, by Stage.Index; Ref.Name is the name as written.
	Uses [][]Source
	// Replaced marks the stages a named context of their name replaces.
	Replaced []bool
}

// Graph resolves the stages, named contexts and images building target
// ("" = the last stage) requires. globals is the global ARG scope (see
// GlobalArgs) the FROM lines are expanded in; isContext reports whether a
// name is a named build context. As in BuildKit, every stage's FROM and
// every COPY --from is checked, needed or not.
func (f *File) Graph(target string, globals Scope, isContext func(string) bool) (*Graph, error) {
	tgt, err := f.stage(target)
	if err != nil {
		return nil, err
	}
	n := len(f.Stages)
	g := &Graph{File: f, Target: tgt, Base: make([]Source, n), Platform: make([]*ocispec.Platform, n),
		Uses: make([][]Source, n), Replaced: make([]bool, n)}
	for _, st := range f.Stages {
		if err := g.resolveStage(st, globals, isContext); err != nil {
			return nil, err
		}
	}
	seen := map[int]bool{}
	var visit func(st *Stage)
	use := func(s Source) {
		switch s.Kind {
		case KindStage:
			visit(s.Stage)
		case KindContext:
			g.Contexts = append(g.Contexts, s.Ref)
		case KindImage:
			g.Images = append(g.Images, s.Ref)
		}
	}
	visit = func(st *Stage) {
		if seen[st.Index] {
			return
		}
		seen[st.Index] = true
		if g.Replaced[st.Index] {
			// Reached by index: the context of its name stands in.
			g.Contexts = append(g.Contexts, Ref{Name: st.Name, Pos: st.Pos, How: HowFrom})
			return
		}
		use(g.Base[st.Index])
		for _, s := range g.Uses[st.Index] {
			use(s)
		}
	}
	visit(tgt)
	for _, st := range f.Stages {
		if seen[st.Index] && !g.Replaced[st.Index] {
			g.Stages = append(g.Stages, st)
		}
	}
	sortRefs(g.Contexts)
	sortRefs(g.Images)
	return g, nil
}

// resolveStage expands and resolves a stage's FROM and resolves its COPY
// --from and RUN --mount from= sources.
func (g *Graph) resolveStage(st *Stage, globals Scope, isContext func(string) bool) error {
	f := g.File
	if st.Name != "" && isContext(st.Name) {
		g.Replaced[st.Index] = true
	}
	base, err := f.Expand(st.Base, globals)
	if err != nil {
		return Error{Pos: st.Pos, Msg: "FROM " + st.Base + ": " + errorMessage(err)}
	}
	if base == "" {
		return Error{Pos: st.Pos, Msg: fmt.Sprintf("base name (%s) should not be blank", st.Base)}
	}
	plat := ""
	if st.Platform != "" {
		if plat, err = f.Expand(st.Platform, globals); err != nil {
			return Error{Pos: st.Pos, Msg: "FROM --platform=" + st.Platform + ": " + errorMessage(err)}
		}
		p, err := oci.ParsePlatform(plat)
		if err != nil {
			return Error{Pos: st.Pos, Msg: fmt.Sprintf("FROM --platform=%s: want os/arch[/variant]", plat)}
		}
		g.Platform[st.Index] = &p
	}
	if g.Base[st.Index], err = f.resolve(st, Ref{Name: base, Pos: st.Pos, How: HowFrom, Platform: plat}, isContext); err != nil {
		return err
	}
	for _, in := range st.Instructions {
		var refs []Ref
		switch c := in.(type) {
		case *Copy:
			if c.From == "" {
				continue
			}
			if v, err := f.Expand(c.From, Scope{}); err != nil || v != c.From {
				return Error{Pos: c.Position(), Msg: "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround"}
			}
			refs = append(refs, Ref{Name: c.From, Pos: c.Position(), How: HowCopy, Platform: plat})
		case *Run:
			for _, m := range instructions.GetMounts(c.Command().(*instructions.RunCommand)) {
				if m.From != "" {
					refs = append(refs, Ref{Name: m.From, Pos: c.Position(), How: HowMount, Platform: plat})
				}
			}
		}
		for _, r := range refs {
			s, err := f.resolve(st, r, isContext)
			if err != nil {
				return err
			}
			g.Uses[st.Index] = append(g.Uses[st.Index], s)
		}
	}
	return nil
}

// Lookup returns what name, as a COPY --from or RUN --mount from= of
// stage st writes it, resolves to.
func (g *Graph) Lookup(st *Stage, name string) (Source, bool) {
	for _, s := range g.Uses[st.Index] {
		if s.Ref.Name == name {
			return s, true
		}
	}
	return Source{}, false
}

// resolve applies the one rule (see Graph) to a reference of stage from.
func (f *File) resolve(from *Stage, r Ref, isContext func(string) bool) (Source, error) {
	if isContext(r.Name) {
		return Source{Kind: KindContext, Ref: r}, nil
	}
	later := func(st *Stage) error {
		return Error{Pos: r.Pos, Msg: fmt.Sprintf("%s %s: stage %q is defined at line %d, not before this one; a stage can only use earlier stages", r.How, r.Name, st.Name, st.Pos.Line)}
	}
	if r.How != HowFrom {
		if i, err := strconv.Atoi(r.Name); err == nil {
			if i < 0 || i >= from.Index {
				return Source{}, Error{Pos: r.Pos, Msg: fmt.Sprintf("%s %s: invalid stage index %d: no earlier stage has it", r.How, r.Name, i)}
			}
			return Source{Kind: KindStage, Stage: f.Stages[i], Ref: r}, nil
		}
	}
	for _, st := range f.Stages {
		if st.Name == "" || st.Name != strings.ToLower(r.Name) {
			continue
		}
		if st.Index >= from.Index {
			return Source{}, later(st)
		}
		return Source{Kind: KindStage, Stage: st, Ref: r}, nil
	}
	if r.How == HowFrom && r.Name == "scratch" {
		return Source{Kind: KindScratch, Ref: r}, nil
	}
	return Source{Kind: KindImage, Ref: r}, nil
}

// stage finds the target stage by name ("" = the last).
func (f *File) stage(name string) (*Stage, error) {
	if name == "" {
		return f.Stages[len(f.Stages)-1], nil
	}
	var names []string
	for _, st := range f.Stages {
		if st.Name == strings.ToLower(name) {
			return st, nil
		}
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("target stage %q could not be found in %s, which has no named stages", name, f.Path)
	}
	return nil, fmt.Errorf("target stage %q could not be found in %s, which has stages %s", name, f.Path, strings.Join(names, ", "))
}

func sortRefs(rs []Ref) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Name != rs[j].Name {
			return rs[i].Name < rs[j].Name
		}
		return rs[i].Pos.Line < rs[j].Pos.Line
	})
}
