package plan

import (
	"container/heap"
	"fmt"
	"sort"
	"strings"

	"github.com/stevedore-build/stevedore/recipes"
)

// Order returns the selected targets and everything they depend on, each
// after its dependencies. Among targets that are ready at the same time the
// lexically smallest name comes first, so the order is the same on every
// machine. A dependency cycle is an error that prints the cycle.
func Order(t *recipes.Tree, selected []*recipes.Target) ([]*recipes.Target, error) {
	byName := map[string]*recipes.Target{}
	for _, tg := range t.Targets {
		byName[tg.Name] = tg
	}
	closure := map[string]*recipes.Target{}
	var add func(tg *recipes.Target)
	add = func(tg *recipes.Target) {
		if closure[tg.Name] != nil {
			return
		}
		closure[tg.Name] = tg
		for _, d := range tg.Deps {
			if dep := byName[d]; dep != nil {
				add(dep)
			}
		}
	}
	for _, tg := range selected {
		add(tg)
	}
	return topo(closure)
}

func topo(set map[string]*recipes.Target) ([]*recipes.Target, error) {
	indeg := map[string]int{}
	users := map[string][]string{}
	for name, tg := range set {
		indeg[name] += 0
		for _, d := range tg.Deps {
			if set[d] == nil {
				continue
			}
			indeg[name]++
			users[d] = append(users[d], name)
		}
	}
	ready := &nameHeap{}
	for name, n := range indeg {
		if n == 0 {
			heap.Push(ready, name)
		}
	}
	var out []*recipes.Target
	for ready.Len() > 0 {
		name := heap.Pop(ready).(string)
		out = append(out, set[name])
		for _, u := range users[name] {
			if indeg[u]--; indeg[u] == 0 {
				heap.Push(ready, u)
			}
		}
	}
	if len(out) < len(set) {
		return nil, cycleError(set, indeg)
	}
	return out, nil
}

// cycleError finds one cycle among the targets left with dependencies and
// describes it with the Containerfile line of each edge.
func cycleError(set map[string]*recipes.Target, indeg map[string]int) error {
	var left []string
	for name, n := range indeg {
		if n > 0 {
			left = append(left, name)
		}
	}
	sort.Strings(left)
	// Walk from the smallest remaining target along remaining deps until a
	// target repeats: that closes a cycle.
	pos := map[string]int{}
	var path []string
	cur := left[0]
	for {
		if i, ok := pos[cur]; ok {
			path = append(path[i:], cur)
			break
		}
		pos[cur] = len(path)
		path = append(path, cur)
		cur = nextInCycle(set[cur], set, indeg)
	}
	var edges []string
	for i := 0; i+1 < len(path); i++ {
		tg := set[path[i]]
		edges = append(edges, fmt.Sprintf("  %s uses %s at %s", tg.Name, path[i+1], tg.DepPos[path[i+1]]))
	}
	return fmt.Errorf("dependency cycle: %s\n%s", strings.Join(path, " -> "), strings.Join(edges, "\n"))
}

func nextInCycle(tg *recipes.Target, set map[string]*recipes.Target, indeg map[string]int) string {
	for _, d := range tg.Deps {
		if set[d] != nil && indeg[d] > 0 {
			return d
		}
	}
	return tg.Deps[0] // unreachable for a target left with indegree > 0
}

type nameHeap []string

func (h nameHeap) Len() int           { return len(h) }
func (h nameHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h nameHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *nameHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *nameHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
