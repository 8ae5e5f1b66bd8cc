package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/stevedore-build/stevedore/recipes"
)

// Select resolves target names as the CLI accepts them: "all" (also the
// meaning of no names), a full target name <stage>-<name>, a stage name (all
// targets of that stage), or a bare package name when exactly one stage has
// it. The result is sorted and without duplicates.
func Select(t *recipes.Tree, names []string) ([]*recipes.Target, error) {
	if len(names) == 0 {
		names = []string{"all"}
	}
	byName := map[string]*recipes.Target{}
	stages := map[string][]*recipes.Target{}
	bare := map[string][]*recipes.Target{}
	for _, tg := range t.Targets {
		byName[tg.Name] = tg
		stages[tg.Stage] = append(stages[tg.Stage], tg)
		bare[tg.Package] = append(bare[tg.Package], tg)
	}
	picked := map[string]*recipes.Target{}
	var errs []string
	for _, n := range names {
		var got []*recipes.Target
		switch {
		case n == "all":
			got = t.Targets
		case byName[n] != nil:
			got = []*recipes.Target{byName[n]}
		case len(stages[n]) > 0:
			got = stages[n]
		case len(bare[n]) == 1:
			got = bare[n]
		case len(bare[n]) > 1:
			errs = append(errs, fmt.Sprintf("%q is ambiguous: %s; name one", n, targetNames(bare[n])))
		default:
			errs = append(errs, fmt.Sprintf("%q is not a target, stage or package of %s%s", n, t.Root, suggest(t, n)))
		}
		for _, tg := range got {
			picked[tg.Name] = tg
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("select targets: %s", strings.Join(errs, "; "))
	}
	out := make([]*recipes.Target, 0, len(picked))
	for _, tg := range picked {
		out = append(out, tg)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func targetNames(ts []*recipes.Target) string {
	names := make([]string, len(ts))
	for i, tg := range ts {
		names[i] = tg.Name
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// suggest proposes targets whose name contains n.
func suggest(t *recipes.Tree, n string) string {
	var c []string
	for _, tg := range t.Targets {
		if strings.Contains(tg.Name, n) && len(c) < 5 {
			c = append(c, tg.Name)
		}
	}
	if len(c) == 0 {
		return ""
	}
	return " (did you mean " + strings.Join(c, ", ") + "?)"
}
