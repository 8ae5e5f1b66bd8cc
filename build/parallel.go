package build

import (
	"context"
	"sync"

	"github.com/stevedore-build/stevedore/recipes"
)

// buildParallel builds targets as soon as their dependencies (among
// ordered) are built, at most o.Jobs at once. The first failure stops new
// targets from starting and is returned once the running ones end.
func buildParallel(ctx context.Context, t *recipes.Tree, ordered []*recipes.Target, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	in := map[string]bool{}
	for _, tg := range ordered {
		in[tg.Name] = true
	}
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		done    = map[string]bool{}
		started = map[string]bool{}
		running int
		n       int
		first   error
		wg      sync.WaitGroup
	)
	ready := func(tg *recipes.Target) bool {
		for _, d := range tg.Deps {
			if in[d] && !done[d] {
				return false
			}
		}
		return true
	}
	mu.Lock()
	for len(done) < len(ordered) && first == nil {
		var next *recipes.Target
		for _, tg := range ordered {
			if !started[tg.Name] && ready(tg) {
				next = tg
				break
			}
		}
		if next == nil || running >= o.Jobs {
			cond.Wait()
			continue
		}
		started[next.Name] = true
		running++
		n++
		wg.Add(1)
		go func(tg *recipes.Target, n int) {
			defer wg.Done()
			err := buildOne(ctx, t, tg, o, n, len(ordered))
			mu.Lock()
			defer mu.Unlock()
			running--
			if err != nil && first == nil {
				first = err
				cancel()
			}
			done[tg.Name] = err == nil
			cond.Broadcast()
		}(next, n)
	}
	mu.Unlock()
	wg.Wait()
	return first
}
