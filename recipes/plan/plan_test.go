package plan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/recipes"
)

func names(ts []*recipes.Target) []string {
	var out []string
	for _, tg := range ts {
		out = append(out, tg.Name)
	}
	return out
}

func loadFull(t *testing.T) *recipes.Tree {
	t.Helper()
	tree, err := recipes.Load("../testdata/full", recipes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestSelectAndOrder(t *testing.T) {
	tree := loadFull(t)
	tests := []struct {
		args []string
		want []string
	}{
		{nil, []string{"bootstrap-stage0", "core-beta", "core-gamma", "core-alpha", "core-alpha-dev", "core-alpha-doc", "user-delta"}},
		{[]string{"all"}, []string{"bootstrap-stage0", "core-beta", "core-gamma", "core-alpha", "core-alpha-dev", "core-alpha-doc", "user-delta"}},
		{[]string{"user-delta"}, []string{"bootstrap-stage0", "core-beta", "core-gamma", "core-alpha-dev", "user-delta"}},
		{[]string{"delta"}, []string{"bootstrap-stage0", "core-beta", "core-gamma", "core-alpha-dev", "user-delta"}},
		{[]string{"bootstrap"}, []string{"bootstrap-stage0"}},
		{[]string{"gamma", "core-gamma", "stage0"}, []string{"bootstrap-stage0", "core-gamma"}},
		// Every target of a Containerfile depends on all it names.
		{[]string{"alpha-doc"}, []string{"bootstrap-stage0", "core-beta", "core-gamma", "core-alpha-doc"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, ","), func(t *testing.T) {
			sel, err := Select(tree, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Order(tree, sel)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, names(got)); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}

// Every target comes after all of its dependencies.
func TestOrderRespectsDeps(t *testing.T) {
	tree := loadFull(t)
	got, err := Order(tree, tree.Targets)
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int{}
	for i, tg := range got {
		at[tg.Name] = i
	}
	for _, tg := range got {
		for _, d := range tg.Deps {
			if at[d] >= at[tg.Name] {
				t.Errorf("%s (at %d) before its dependency %s (at %d)", tg.Name, at[tg.Name], d, at[d])
			}
		}
	}
}

func TestSelectErrors(t *testing.T) {
	root := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, stage := range []string{"core", "user"} {
		write("packages/"+stage+"/zlib/package.toml", "[package]\nname = \"zlib\"\n")
		write("packages/"+stage+"/zlib/Containerfile", "FROM scratch\n")
	}
	tree, err := recipes.Load(root, recipes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Select(tree, []string{"zlib", "zli", "nothing"})
	want := `select targets: "zlib" is ambiguous: core-zlib, user-zlib; name one; "zli" is not a target, stage or package of ` + root + ` (did you mean core-zlib, user-zlib?); "nothing" is not a target, stage or package of ` + root
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant  %s", err, want)
	}
}

func TestOrderCycle(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"packages/core/a/package.toml":  "[package]\nname = \"a\"\n",
		"packages/core/a/Containerfile": "FROM scratch\nCOPY --from=stagex/core-b / /\n",
		"packages/core/b/package.toml":  "[package]\nname = \"b\"\n",
		"packages/core/b/Containerfile": "FROM stagex/core-c\n",
		"packages/core/c/package.toml":  "[package]\nname = \"c\"\n",
		"packages/core/c/Containerfile": "FROM scratch AS x\nFROM stagex/core-a\n",
		"packages/core/d/package.toml":  "[package]\nname = \"d\"\n",
		"packages/core/d/Containerfile": "FROM stagex/core-a\n",
	}
	for p, s := range files {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		os.WriteFile(full, []byte(s), 0o644)
	}
	tree, err := recipes.Load(root, recipes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sel, _ := Select(tree, []string{"core-d"})
	_, err = Order(tree, sel)
	want := "dependency cycle: core-a -> core-b -> core-c -> core-a\n" +
		"  core-a uses core-b at packages/core/a/Containerfile:2\n" +
		"  core-b uses core-c at packages/core/b/Containerfile:1\n" +
		"  core-c uses core-a at packages/core/c/Containerfile:2"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant:\n%s", err, want)
	}
}

func TestEntries(t *testing.T) {
	tree := loadFull(t)
	sel, _ := Select(tree, []string{"core-alpha-dev"})
	ordered, _ := Order(tree, sel)
	es := Entries(ordered, "linux/riscv64")
	last := es[len(es)-1]
	if last.Target != "core-alpha-dev" || last.Name != "alpha-dev" || last.Origin != "alpha" || last.StageTarget != "package-alpha-dev" || last.Stage != "core" {
		t.Errorf("entry = %+v", last)
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, last.Platforms); diff != "" {
		t.Errorf("platforms: %s", diff)
	}
	if es[0].Target != "bootstrap-stage0" || es[0].Platforms[0] != "linux/386" {
		t.Errorf("first = %+v", es[0])
	}
	for _, e := range es {
		if e.Target == "core-gamma" && (len(e.Platforms) != 1 || e.Platforms[0] != "linux/riscv64") {
			t.Errorf("default platform not applied: %v", e.Platforms)
		}
	}
}
