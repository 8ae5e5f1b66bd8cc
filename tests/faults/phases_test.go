package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"time"
)

// phase is one kind of work stevedore is killed in. setup makes the next
// run of cmd do that work (from a warm tree where it can), trigger picks
// when to kill it, and check adds the phase's own expectations after the
// command has been run again to the end.
type phase struct {
	name    string
	kills   int
	setup   func(f *fixture, r *rand.Rand)
	cmd     func(f *fixture, r *rand.Rand) command
	trigger func(f *fixture, r *rand.Rand, full time.Duration) trigger
	check   func(f *fixture) []string
}

// fromStart kills at a uniformly random moment of a run that takes full
// when left alone.
func fromStart(_ *fixture, r *rand.Rand, full time.Duration) trigger {
	return trigger{delay: randDur(r, full)}
}

func randDur(r *rand.Rand, d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(r.Int64N(int64(d)))
}

// buildLine fires at the nth instruction line of target starting with
// prefix in the plain progress output.
func buildLine(target, prefix string, n int, within time.Duration) func(*fixture, *rand.Rand, time.Duration) trigger {
	re := regexp.MustCompile("^" + regexp.QuoteMeta(target) + ` \| \[[^]]+\] ` + regexp.QuoteMeta(prefix))
	return func(_ *fixture, r *rand.Rand, _ time.Duration) trigger {
		return trigger{line: re, nth: n, delay: randDur(r, within)}
	}
}

// either mixes two triggers half and half.
func either(a, b func(*fixture, *rand.Rand, time.Duration) trigger) func(*fixture, *rand.Rand, time.Duration) trigger {
	return func(f *fixture, r *rand.Rand, full time.Duration) trigger {
		if r.IntN(2) == 0 {
			return a(f, r, full)
		}
		return b(f, r, full)
	}
}

// fileAppears fires once glob (under the tree) matches.
func fileAppears(glob string, within time.Duration) func(*fixture, *rand.Rand, time.Duration) trigger {
	return func(_ *fixture, r *rand.Rand, _ time.Duration) trigger {
		return trigger{glob: glob, delay: randDur(r, within)}
	}
}

// build is a build command of targets with plain progress.
func build(targets ...string) func(*fixture, *rand.Rand) command {
	return func(f *fixture, _ *rand.Rand) command {
		return f.cmd(append([]string{"build", "--progress=plain"}, targets...)...)
	}
}

// outIs expects out/<target> to hold the committed image.
func outIs(targets ...string) func(*fixture) []string {
	return func(f *fixture) []string {
		var bad []string
		for _, t := range targets {
			if _, err := os.Stat(filepath.Join(f.tree, "out", t, "index.json")); err != nil {
				bad = append(bad, fmt.Sprintf("out/%s missing after a successful build: %v", t, err))
			}
		}
		return bad
	}
}

// runPhase is the kill phase of the nth RUN of target: its layer is
// forgotten so that it runs again, the rest comes from the cache.
func runPhase(target string, n, kills int) phase {
	return phase{
		name:  fmt.Sprintf("%s RUN %d", target, n),
		kills: kills,
		setup: func(f *fixture, _ *rand.Rand) {
			f.forget(target, f.nthStep(target, "RUN ", n).digest)
		},
		cmd:     build(target),
		trigger: buildLine(target, "RUN ", n, 150*time.Millisecond),
		check:   outIs(target),
	}
}
