package fetch

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// job is one distinct file: every item with the same Dest/File shares it,
// so the file is fetched once, from the union of their mirrors.
type job struct {
	items []Item // sorted by package, key; items[0] names the job
	path  string
	sha   string
	urls  []string
}

// runner carries what every job needs.
type runner struct {
	opts Options
}

// Fetch puts every item's file in place (see the package doc for the
// guarantees). It returns nil when all files are present and verified;
// otherwise errors.Join of one *SourceError per failed file, or, offline, a
// single *MissingError listing them all; or the context's error when it was
// cancelled. Invalid items and conflicting hashes fail before any file is
// touched.
func Fetch(ctx context.Context, items []Item, opts Options) error {
	jobs, err := plan(items)
	if err != nil {
		return err
	}
	r := &runner{opts: opts.withDefaults()}
	r.opts.Reporter.Report(Event{Kind: KindBegin, Total: int64(len(jobs))})
	err = r.runAll(ctx, jobs)
	r.opts.Reporter.Report(Event{Kind: KindEnd, Err: err})
	return err
}

// plan validates the items and groups them into jobs sorted by package,
// key and path, the order errors are reported in.
func plan(items []Item) ([]*job, error) {
	var errs []error
	byPath := map[string]*job{}
	for _, it := range sortedItems(items) {
		if err := it.validate(); err != nil {
			errs = append(errs, err)
			continue
		}
		j := byPath[it.Path()]
		if j == nil {
			j = &job{path: it.Path(), sha: it.SHA256}
			byPath[j.path] = j
		}
		if it.SHA256 != j.sha {
			first := j.items[0]
			errs = append(errs, fmt.Errorf("fetch %s: %s is also needed by %s with another sha256 (%s, not %s)",
				it.label(), j.path, first.label(), first.SHA256, it.SHA256))
			continue
		}
		j.items = append(j.items, it)
		for _, u := range it.URLs {
			if !slices.Contains(j.urls, u) {
				j.urls = append(j.urls, u)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	jobs := make([]*job, 0, len(byPath))
	for _, j := range byPath {
		jobs = append(jobs, j)
	}
	slices.SortFunc(jobs, func(a, b *job) int { return compareItems(a.items[0], b.items[0]) })
	return jobs, nil
}

// sortedItems returns a sorted copy, so that which item names a shared job
// and the order of merged mirrors do not depend on the caller's order.
// Mirrors of one item keep their order.
func sortedItems(items []Item) []Item {
	s := slices.Clone(items)
	slices.SortStableFunc(s, compareItems)
	return s
}

func compareItems(a, b Item) int {
	return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Path(), b.Path()))
}

// runAll runs the jobs on at most Parallel workers. Each result goes into
// its job's slot, so the outcome is independent of scheduling.
func (r *runner) runAll(ctx context.Context, jobs []*job) error {
	errs := make([]*SourceError, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(r.opts.Parallel, len(jobs)) {
		wg.Go(func() {
			for i := range next {
				errs[i] = r.run(ctx, jobs[i])
			}
		})
	}
feed:
	for i := range jobs {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if ctx.Err() != nil {
		return fmt.Errorf("fetch: %w", context.Cause(ctx))
	}
	return r.collect(errs)
}

// collect turns per-job failures into Fetch's error.
func (r *runner) collect(slots []*SourceError) error {
	var failed []*SourceError
	for _, e := range slots {
		if e != nil {
			failed = append(failed, e)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if r.opts.Offline {
		return &MissingError{Sources: failed, MirrorDirs: r.opts.MirrorDirs}
	}
	errs := make([]error, len(failed))
	for i, e := range failed {
		errs[i] = e
	}
	return errors.Join(errs...)
}
