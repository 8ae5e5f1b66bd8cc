package difftest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stevedore-build/stevedore/tests/parity/recipegen"
)

// Campaign is a run over consecutive seeds.
type Campaign struct {
	Checker *Checker
	// First is the first seed; Seeds how many.
	First, Seeds int64
	// Jobs trees are built at once (at most 2 on a 2-core machine).
	Jobs int
	// Work holds each tree while it is built; Out receives a folder per
	// failing seed (the original and minimized trees and a report).
	Work, Out string
	// ShrinkBudget bounds the candidates tried per failure; 0 disables
	// shrinking.
	ShrinkBudget int
	// Until, when set, stops starting trees at that time (the campaign
	// then reports what it built).
	Until time.Time
	// PruneEvery drops BuildKit's build cache after every so many trees
	// (0: never). The cache only grows otherwise, and its bolt databases
	// slow every later build down.
	PruneEvery int
	// Log receives one line per tree.
	Log func(format string, a ...any)
}

// Stats are a campaign's totals.
type Stats struct {
	Trees, Targets, Instrs int
	// Wasted targets failed in both builders; Invalid trees could not be
	// fetched or planned (generator bugs); Known are documented
	// differences (SuidCleared).
	Wasted, Invalid, Known int
	// Failures are the reports of seeds with differences.
	Failures []*Failure
	// Prunes of BuildKit's cache done and failed (see PruneEvery).
	Prunes, PruneErrors int
	Elapsed             time.Duration
}

// PerMinute is the campaign's rate in trees per minute.
func (s *Stats) PerMinute() float64 {
	return float64(s.Trees) / s.Elapsed.Minutes()
}

func (s *Stats) String() string {
	return fmt.Sprintf("%d trees, %d targets, %d instructions in %s (%.1f trees/min); %d wasted targets, %d invalid trees, %d known (documented) differences, %d seeds with differences",
		s.Trees, s.Targets, s.Instrs, s.Elapsed.Round(time.Second), s.PerMinute(), s.Wasted, s.Invalid, s.Known, len(s.Failures))
}

// Run builds every seed's tree and returns the totals.
func (c *Campaign) Run(ctx context.Context) *Stats {
	st := &Stats{}
	start := time.Now()
	var mu sync.Mutex
	seeds := make(chan int64)
	var wg sync.WaitGroup
	for j := 0; j < max(c.Jobs, 1); j++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seed := range seeds {
				f, res := c.one(ctx, seed)
				mu.Lock()
				st.add(res)
				if f != nil {
					st.Failures = append(st.Failures, f)
				}
				prune := c.PruneEvery > 0 && st.Trees%c.PruneEvery == 0
				mu.Unlock()
				if prune {
					err := c.prune(ctx)
					mu.Lock()
					st.Prunes++
					if err != nil {
						st.PruneErrors++
					}
					mu.Unlock()
				}
			}
		}()
	}
	for s := c.First; s < c.First+c.Seeds && ctx.Err() == nil && (c.Until.IsZero() || time.Now().Before(c.Until)); s++ {
		seeds <- s
	}
	close(seeds)
	wg.Wait()
	st.Elapsed = time.Since(start)
	return st
}

func (st *Stats) add(res *Result) {
	st.Trees++
	st.Instrs += res.Instrs
	if res.Invalid != nil {
		st.Invalid++
	}
	for _, t := range res.Targets {
		switch t.Kind {
		case BothFailed:
			st.Wasted++
		case SuidCleared:
			st.Known++
		case Same, DigestDiffers, OnlyBuildKit, OnlyStevedore:
			st.Targets++
		}
	}
}

// prune drops BuildKit's cache. A failed prune is logged and counted, not
// fatal: the campaign only gets slower.
func (c *Campaign) prune(ctx context.Context) error {
	ck := c.Checker
	if ck.NoBuildKit || ck.Daemon == nil {
		return nil
	}
	t0 := time.Now()
	if err := ck.Daemon.Prune(ctx); err != nil {
		c.log("prune of BuildKit's cache failed: %v", err)
		return err
	}
	c.log("pruned BuildKit's cache in %s", time.Since(t0).Round(time.Millisecond))
	return nil
}

// one checks one seed; on a difference it shrinks and writes the report.
func (c *Campaign) one(ctx context.Context, seed int64) (*Failure, *Result) {
	tree := recipegen.Generate(seed)
	dir := filepath.Join(c.Work, fmt.Sprintf("seed-%d", seed))
	os.RemoveAll(dir)
	t0 := time.Now()
	res := c.Checker.Check(ctx, tree, dir)
	defer os.RemoveAll(dir)
	kinds := map[Kind]int{}
	for _, t := range res.Targets {
		kinds[t.Kind]++
	}
	c.log("seed %d: %d targets %v, %d instructions, in %s %v", seed, len(res.Targets), kinds, res.Instrs, time.Since(t0).Round(time.Millisecond), res.Times)
	for _, t := range res.Targets {
		if t.Kind == BothFailed {
			c.log("seed %d: %s failed in both builders (wasted): %s", seed, t.Target, lastLines(t.Detail, 1))
		}
	}
	if res.Invalid != nil {
		c.log("seed %d: INVALID tree (generator or harness bug): %v", seed, res.Invalid)
		f := &Failure{Seed: seed, Original: tree, Minimized: tree, First: TargetResult{Kind: "invalid", Detail: res.Invalid.Error()}}
		c.write(f)
		return f, res
	}
	first := res.First()
	if first == nil {
		return nil, res
	}
	f := &Failure{Seed: seed, Original: tree, Minimized: tree, First: *first}
	c.log("seed %d: %s in %s; shrinking", seed, first.Kind, first.Target)
	if c.ShrinkBudget > 0 {
		f.Minimized, f.Tried = c.shrink(ctx, seed, tree, first.Kind, &f.First)
	}
	c.write(f)
	c.log("seed %d: minimized (%d candidates) to:\n%s\n%s", seed, f.Tried, f.Minimized.Recipe(), f.First.Detail)
	return f, res
}

// shrink minimizes tree while a difference of the same kind in the same
// target remains (so that it does not wander off to another bug) and
// updates first to the minimized tree's difference.
func (c *Campaign) shrink(ctx context.Context, seed int64, tree *recipegen.Tree, kind Kind, first *TargetResult) (*recipegen.Tree, int) {
	target := first.Target
	ck := *c.Checker
	ck.Repro, ck.Rootless = kind == ReproDiffers, kind == RootlessDiffer
	ck.NoBuildKit = ck.Repro || ck.Rootless
	if target != "(all)" {
		ck.Only = target
	}
	n := 0
	differs := func(t *recipegen.Tree) bool {
		n++
		dir := filepath.Join(c.Work, fmt.Sprintf("seed-%d-shrink-%d", seed, n))
		defer os.RemoveAll(dir)
		res := ck.Check(ctx, t, dir)
		for _, tr := range res.Targets {
			if tr.Kind == kind && tr.Target == target {
				*first = tr
				return true
			}
		}
		return false
	}
	return Shrink(tree, differs, c.ShrinkBudget)
}

func (c *Campaign) log(format string, a ...any) {
	if c.Log != nil {
		c.Log(format, a...)
	}
}

// Failure is one seed with a difference.
type Failure struct {
	Seed                int64
	Original, Minimized *recipegen.Tree
	// First is the minimized tree's first difference.
	First TargetResult
	Tried int
}

// Report is the failure as text: the minimized recipe, the difference
// and the original tree.
func (f *Failure) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %s in %s (BuildKit %s, stevedore %s)\n\n", f.Seed, f.First.Kind, f.First.Target, f.First.BuildKit, f.First.Stevedore)
	fmt.Fprintf(&b, "== minimized recipe (%d candidates tried)\n%s\n", f.Tried, f.Minimized.Recipe())
	fmt.Fprintf(&b, "== difference\n%s\n\n== original tree\n%s", f.First.Detail, f.Original.Dump())
	return b.String()
}

// write saves the failure under Out/seed-N: report.txt and the minimized
// tree, ready to build by hand.
func (c *Campaign) write(f *Failure) {
	if c.Out == "" {
		return
	}
	dir := filepath.Join(c.Out, fmt.Sprintf("seed-%d", f.Seed))
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		c.log("write report: %v", err)
		return
	}
	os.WriteFile(filepath.Join(dir, "report.txt"), []byte(f.Report()), 0o644)
	if err := f.Minimized.Write(filepath.Join(dir, "minimized"), c.Checker.Busybox); err != nil {
		c.log("write minimized tree: %v", err)
	}
}
