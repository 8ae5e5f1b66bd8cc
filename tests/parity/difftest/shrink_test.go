package difftest

import (
	"testing"

	"github.com/stevedore-build/stevedore/tests/parity/recipegen"
)

// TestShrink: with a predicate that holds while one RUN operation is
// left, shrinking ends at the busybox base and one package, stage,
// instruction and operation.
func TestShrink(t *testing.T) {
	for seed := int64(1); seed < 40; seed++ {
		tree := recipegen.Generate(seed)
		needle := ""
		for _, p := range tree.Packages[1:] {
			for _, s := range p.Stages {
				for _, in := range s.Instrs {
					if in.Run != nil && needle == "" {
						needle = in.Run.Ops[len(in.Run.Ops)-1]
					}
				}
			}
		}
		if needle == "" {
			continue
		}
		has := func(t *recipegen.Tree) bool { return hasOp(t, needle) }
		got, tried := Shrink(tree, has, 10000)
		pkgs, stages, instrs, ops := got.Size()
		// The busybox base stays: 2 stages, 3 instructions.
		if pkgs != 2 || stages != 3 || instrs != 4 || ops != 1 || !has(got) {
			t.Errorf("seed %d: shrunk to %d packages, %d stages, %d instructions, %d ops after %d candidates:\n%s",
				seed, pkgs, stages, instrs, ops, tried, got.Recipe())
		}
	}
}

// hasOp reports whether a RUN of t runs op.
func hasOp(t *recipegen.Tree, op string) bool {
	for _, p := range t.Packages {
		for _, s := range p.Stages {
			for _, in := range s.Instrs {
				if in.Run == nil {
					continue
				}
				for _, o := range in.Run.Ops {
					if o == op {
						return true
					}
				}
			}
		}
	}
	return false
}
