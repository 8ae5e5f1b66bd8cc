package recipegen

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/plan"
)

// TestTreesAreValid: every generated tree loads and orders as a StageX tree
// (stevedore's tree model is StageX's generator, see recipes/stagex_shapes),
// so that no campaign tree is wasted as invalid. It caught a COPY
// --chown --from=stagex/ line the generator does not see (seed 5031) and a
// stage naming a sibling subpackage, a dependency cycle (seed 5286).
func TestTreesAreValid(t *testing.T) {
	busybox := filepath.Join(t.TempDir(), "busybox")
	if err := os.WriteFile(busybox, []byte("not busybox\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	seeds := []int64{5031, 5286}
	for s := int64(1); s <= 300; s++ {
		seeds = append(seeds, s)
	}
	for _, seed := range seeds {
		root := filepath.Join(t.TempDir(), "tree")
		if err := Generate(seed).Write(root, busybox); err != nil {
			t.Fatalf("seed %d: write: %v", seed, err)
		}
		tree, err := recipes.Load(root, recipes.Options{})
		if err != nil {
			t.Errorf("seed %d: load: %v", seed, err)
			continue
		}
		all, err := plan.Select(tree, nil)
		if err == nil {
			_, err = plan.Order(tree, all)
		}
		if err != nil {
			t.Errorf("seed %d: plan: %v", seed, err)
		}
	}
}
