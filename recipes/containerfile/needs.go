package containerfile

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Ref is a reference from the file to something outside it: a named build
// context (fetch, stagex/...) or an image.
type Ref struct {
	Name string // expanded reference, e.g. "stagex/core-busybox"
	Pos  Pos
	How  string // "FROM" or "COPY --from"
	// Platform is the FROM --platform of the stage that uses the
	// reference, expanded; "" means the target platform.
	Platform string
}

// Needs is what building one target stage of a file requires.
type Needs struct {
	Target   *Stage   // the stage being built
	Stages   []*Stage // every stage the target needs, itself included, in file order
	Contexts []Ref    // named contexts used, sorted by name then line
	Images   []Ref    // image references (neither stage, context nor scratch)
}

// Needs resolves which stages, named contexts and images building target
// requires. target "" means the last stage. isContext reports whether a
// name is a named build context; as in BuildKit, contexts win over stage
// names. globals is the global ARG scope (see GlobalArgs) for FROM lines.
func (f *File) Needs(target string, globals map[string]string, isContext func(string) bool) (*Needs, error) {
	tgt, err := f.stage(target)
	if err != nil {
		return nil, err
	}
	n := &Needs{Target: tgt}
	seen := map[int]bool{}
	var visit func(st *Stage) error
	visit = func(st *Stage) error {
		if seen[st.Index] {
			return nil
		}
		seen[st.Index] = true
		for _, r := range f.stageRefs(st, globals) {
			dep, err := f.resolve(st, r, isContext)
			if err != nil {
				return err
			}
			switch {
			case dep != nil:
				if err := visit(dep); err != nil {
					return err
				}
			case r.Name == "scratch" && r.How == "FROM":
			case isContext(r.Name):
				n.Contexts = append(n.Contexts, r)
			default:
				n.Images = append(n.Images, r)
			}
		}
		return nil
	}
	if err := visit(tgt); err != nil {
		return nil, err
	}
	for _, st := range f.Stages {
		if seen[st.Index] {
			n.Stages = append(n.Stages, st)
		}
	}
	sortRefs(n.Contexts)
	sortRefs(n.Images)
	return n, nil
}

// stage finds the target stage by name ("" = last).
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
		return nil, fmt.Errorf("a stage %q in %s, which has no named stages", name, f.Path)
	}
	return nil, fmt.Errorf("a stage %q in %s, which has stages %s", name, f.Path, strings.Join(names, ", "))
}

// stageRefs lists the FROM base and COPY --from references of a stage.
func (f *File) stageRefs(st *Stage, globals map[string]string) []Ref {
	base := st.Base
	if v, err := f.Expand(base, globals); err == nil && v != "" {
		base = v
	}
	plat := st.Platform
	if v, err := f.Expand(plat, globals); err == nil {
		plat = v
	}
	refs := []Ref{{Name: base, Pos: st.Pos, How: "FROM", Platform: plat}}
	for _, in := range st.Instructions {
		if c, ok := in.(*Copy); ok && c.From != "" {
			refs = append(refs, Ref{Name: c.From, Pos: c.Position(), How: "COPY --from", Platform: plat})
		}
	}
	return refs
}

// resolve returns the earlier stage a reference names, or nil when it
// names a context, scratch or an image.
func (f *File) resolve(from *Stage, r Ref, isContext func(string) bool) (*Stage, error) {
	if isContext(r.Name) {
		return nil, nil
	}
	if r.How == "COPY --from" {
		if i, err := strconv.Atoi(r.Name); err == nil {
			if i < 0 || i >= from.Index {
				return nil, Error{Pos: r.Pos, Msg: fmt.Sprintf("COPY --from=%d: no earlier stage with that index", i)}
			}
			return f.Stages[i], nil
		}
	}
	for _, st := range f.Stages {
		if st.Name == "" || st.Name != strings.ToLower(r.Name) {
			continue
		}
		if st.Index >= from.Index {
			return nil, Error{Pos: r.Pos, Msg: fmt.Sprintf("%s %s: stage %q is defined later (line %d); stages can only use earlier stages", r.How, r.Name, st.Name, st.Pos.Line)}
		}
		return st, nil
	}
	return nil, nil
}

func sortRefs(rs []Ref) {
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].Name != rs[j].Name {
			return rs[i].Name < rs[j].Name
		}
		return rs[i].Pos.Line < rs[j].Pos.Line
	})
}
