package difftest

import (
	"github.com/stevedore-build/stevedore/tests/parity/recipegen"
)

// edit is one shrinking step: it changes t in place and reports whether
// it applied (an index past the end does not).
type edit func(t *recipegen.Tree) bool

// Shrink returns a smallest tree it finds for which differs still holds,
// trying at most budget candidates. Steps go from coarse to fine: drop a
// package, a stage, a subpackage, a source, a context file, a global ARG,
// chunks of instructions, chunks of RUN operations; after every accepted
// step it starts over (the tree is re-planned by differs itself, and a
// candidate that fails to plan or build does not differ).
func Shrink(t *recipegen.Tree, differs func(*recipegen.Tree) bool, budget int) (*recipegen.Tree, int) {
	tried := 0
	for progress := true; progress && tried < budget; {
		progress = false
		for _, e := range edits(t) {
			if tried >= budget {
				break
			}
			c := t.Clone()
			if !e(c) {
				continue
			}
			tried++
			if differs(c) {
				t, progress = c, true
				break
			}
		}
	}
	return t, tried
}

// edits lists the candidate steps for t, coarse first.
func edits(t *recipegen.Tree) []edit {
	var es []edit
	for pi := len(t.Packages) - 1; pi >= 0; pi-- {
		if !t.Packages[pi].Busybox {
			es = append(es, dropPackage(pi))
		}
	}
	for pi, p := range t.Packages {
		if p.Busybox {
			continue
		}
		for si := range p.Stages {
			es = append(es, dropStage(pi, si))
		}
		for k := range p.Subpackages {
			es = append(es, dropSubpackage(pi, k))
		}
		for k := range p.Sources {
			es = append(es, dropSource(pi, k))
		}
		for k := range p.Context {
			es = append(es, dropContext(pi, k))
		}
		for k := range p.GlobalArgs {
			es = append(es, dropGlobalArg(pi, k))
		}
		if p.VersionFrom != "" || p.Version != "" {
			es = append(es, dropVersion(pi))
		}
	}
	for _, size := range []int{8, 4, 2, 1} {
		for pi, p := range t.Packages {
			if p.Busybox {
				continue
			}
			for si, s := range p.Stages {
				for k := 0; k < len(s.Instrs); k += size {
					if size == 1 || size < len(s.Instrs) {
						es = append(es, dropInstrs(pi, si, k, size))
					}
				}
				for ii, in := range s.Instrs {
					if in.Run == nil {
						continue
					}
					for k := 0; k < len(in.Run.Ops); k += size {
						if size == 1 || size < len(in.Run.Ops) {
							es = append(es, dropOps(pi, si, ii, k, size))
						}
					}
				}
			}
		}
	}
	return es
}

func cut[T any](xs []T, k, n int) []T {
	end := min(k+n, len(xs))
	return append(xs[:k:k], xs[end:]...)
}

func dropPackage(pi int) edit {
	return func(t *recipegen.Tree) bool { t.Packages = cut(t.Packages, pi, 1); return true }
}

func dropStage(pi, si int) edit {
	return func(t *recipegen.Tree) bool {
		p := t.Packages[pi]
		if len(p.Stages) < 2 {
			return false
		}
		p.Stages = cut(p.Stages, si, 1)
		return true
	}
}

// dropSubpackage removes a subpackage and its stage.
func dropSubpackage(pi, k int) edit {
	return func(t *recipegen.Tree) bool {
		p := t.Packages[pi]
		name := "package-" + p.Subpackages[k]
		p.Subpackages = cut(p.Subpackages, k, 1)
		for si, s := range p.Stages {
			if s.Alias == name && len(p.Stages) > 1 {
				p.Stages = cut(p.Stages, si, 1)
				break
			}
		}
		return true
	}
}

func dropSource(pi, k int) edit {
	return func(t *recipegen.Tree) bool { p := t.Packages[pi]; p.Sources = cut(p.Sources, k, 1); return true }
}

func dropContext(pi, k int) edit {
	return func(t *recipegen.Tree) bool { p := t.Packages[pi]; p.Context = cut(p.Context, k, 1); return true }
}

func dropGlobalArg(pi, k int) edit {
	return func(t *recipegen.Tree) bool {
		p := t.Packages[pi]
		p.GlobalArgs = cut(p.GlobalArgs, k, 1)
		return true
	}
}

func dropVersion(pi int) edit {
	return func(t *recipegen.Tree) bool {
		p := t.Packages[pi]
		p.Version, p.VersionFrom = "", ""
		return true
	}
}

func dropInstrs(pi, si, k, n int) edit {
	return func(t *recipegen.Tree) bool {
		s := t.Packages[pi].Stages[si]
		if k >= len(s.Instrs) {
			return false
		}
		s.Instrs = cut(s.Instrs, k, n)
		return true
	}
}

func dropOps(pi, si, ii, k, n int) edit {
	return func(t *recipegen.Tree) bool {
		r := t.Packages[pi].Stages[si].Instrs[ii].Run
		if k >= len(r.Ops) {
			return false
		}
		r.Ops = cut(r.Ops, k, n)
		return true
	}
}
