package build

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"sync"

	"github.com/stevedore-build/stevedore/recipes"
)

// errNotCached ends a checkOnly build of a target that must be built (or
// whose sources must be read first).
var errNotCached = errors.New("not cached")

// buildInOrderCheckingAhead builds ordered one target at a time, in order,
// as a plain loop over buildOne would, while workers (one per processor)
// check ahead whether later targets are cached: a target whose
// dependencies (among ordered) are all done is checked (Options.checkOnly)
// with its progress held back. When the loop reaches a target found
// cached, it prints what the check held back; otherwise it builds the
// target itself (the check did nothing the build does not do again). Only
// a target whose dependencies are final is checked, so a check finds what
// the loop would have found; a check's error is the loop's to find again,
// in order. A no-op build of a large tree thus decides on every processor
// at once, with the same output, logs and records.
func buildInOrderCheckingAhead(ctx context.Context, t *recipes.Tree, ordered []*recipes.Target, o Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		started, finished, cached bool
		progress                  bytes.Buffer
	}
	in := map[string]bool{}
	for _, tg := range ordered {
		in[tg.Name] = true
	}
	var (
		mu      sync.Mutex
		cond    = sync.NewCond(&mu)
		res     = make([]result, len(ordered))
		done    = map[string]bool{}
		stopped bool
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
	// next claims the first target not started whose dependencies are
	// done; false when the loop is over.
	next := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		for {
			if stopped {
				return 0, false
			}
			left := false
			for i, tg := range ordered {
				if res[i].started {
					continue
				}
				left = true
				if ready(tg) {
					res[i].started = true
					return i, true
				}
			}
			if !left {
				return 0, false
			}
			cond.Wait()
		}
	}
	for range max(1, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for {
				i, ok := next()
				if !ok {
					return
				}
				tg := ordered[i]
				co := o
				co.checkOnly = true
				co.Progress = &res[i].progress
				err := buildOne(ctx, t, tg, co, i+1, len(ordered))
				mu.Lock()
				res[i].finished = true
				res[i].cached = err == nil
				if res[i].cached {
					done[tg.Name] = true
				}
				cond.Broadcast()
				mu.Unlock()
			}
		})
	}
	stop := func() {
		mu.Lock()
		stopped = true
		cond.Broadcast()
		mu.Unlock()
		cancel()
		wg.Wait()
	}
	defer stop()
	for i, tg := range ordered {
		mu.Lock()
		if !res[i].started {
			res[i].started = true // the loop's own
		} else {
			for !res[i].finished {
				cond.Wait()
			}
		}
		cached := res[i].cached
		mu.Unlock()
		if cached {
			if o.Progress != nil {
				if _, err := o.Progress.Write(res[i].progress.Bytes()); err != nil {
					return err
				}
			}
			continue
		}
		if err := buildOne(ctx, t, tg, o, i+1, len(ordered)); err != nil {
			return err
		}
		mu.Lock()
		done[tg.Name] = true
		cond.Broadcast()
		mu.Unlock()
	}
	return nil
}
