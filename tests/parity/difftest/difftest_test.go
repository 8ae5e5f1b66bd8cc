package difftest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// Campaign flags: go test -run TestCampaign ./tests/parity/difftest -args
// -seeds N [-first S] [-out DIR] (make parity-fuzz passes them).
var (
	seeds    = flag.Int64("seeds", 0, "TestCampaign: number of seeds (0 skips the campaign)")
	first    = flag.Int64("first", 1, "TestCampaign: first seed")
	out      = flag.String("out", "", "TestCampaign: folder for the failures' reports and minimized trees")
	jobs     = flag.Int("jobs", 1, "TestCampaign: trees built at once")
	repro    = flag.Bool("repro", true, "also build every tree a second time with stevedore (other folder, umask 077, other TZ)")
	rootless = flag.Bool("rootless", true, "also build every tree rootless (user "+RootlessUser+")")
	budget   = flag.Int("shrink", 60, "candidates tried to minimize a failure (0: no shrinking)")
	duration = flag.Duration("for", 0, "TestCampaign: start no tree after this long (0: no limit)")
	pruneN   = flag.Int("prune-every", 40, "TestCampaign: drop BuildKit's build cache after every N trees (0: never)")
)

// fixedSeeds are the slow suite's trees: a few minutes at most.
const fixedFirst, fixedSeeds = 1, 10

// TestDifferential builds a fixed set of generated trees with stevedore
// and BuildKit (and a second time with stevedore, umask 077, another TZ
// and folder) and fails on any difference, printing the minimized recipe
// and stevedore diff's explanation.
func TestDifferential(t *testing.T) {
	c := newCampaign(t, fixedFirst, fixedSeeds, false)
	// Prune mid-run, as long campaigns do: the trees after a prune must
	// build the same from an empty BuildKit cache.
	c.PruneEvery = fixedSeeds / 2
	st := c.Run(context.Background())
	t.Log(st)
	for _, f := range st.Failures {
		t.Errorf("%s", f.Report())
	}
	if st.Prunes != 2 || st.PruneErrors != 0 {
		t.Errorf("%d prunes of BuildKit's cache, %d failed; want 2 and 0 (see the log)", st.Prunes, st.PruneErrors)
	}
}

// TestCampaign is make parity-fuzz: -seeds trees from -first, failures
// written to -out.
func TestCampaign(t *testing.T) {
	if *seeds == 0 {
		t.Skip("no -seeds: run make parity-fuzz SEEDS=N")
	}
	c := newCampaign(t, *first, *seeds, *rootless)
	c.Jobs, c.Out, c.PruneEvery = *jobs, *out, *pruneN
	if *duration > 0 {
		c.Until = time.Now().Add(*duration)
	}
	if c.Out != "" {
		if err := os.MkdirAll(c.Out, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st := c.Run(context.Background())
	t.Log(st)
	if len(st.Failures) > 0 {
		var seedsFailed []string
		for _, f := range st.Failures {
			seedsFailed = append(seedsFailed, f.Report()[:strings.IndexByte(f.Report(), '\n')])
		}
		t.Errorf("%d seeds differ (reports in %s):\n%s", len(st.Failures), c.Out, strings.Join(seedsFailed, "\n"))
	}
}

// newCampaign starts one buildkitd for the whole campaign and sets up the
// checker (and the rootless user when asked).
func newCampaign(t *testing.T, from, n int64, withRootless bool) *Campaign {
	testenv.Slow(t, "bzip2", "xz", "zstd", "su")
	bin := os.Getenv("STEVEDORE_BIN")
	if bin == "" {
		t.Fatal("STEVEDORE_BIN is not set: run through make test SLOW=1 or make parity-fuzz")
	}
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Fatal("no /bin/busybox: run tests/install-deps (busybox-static)")
	}
	// Not t.TempDir: its parent is private, and the rootless user must
	// reach its trees.
	scratch, err := os.MkdirTemp("", "difftest-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(scratch) })
	os.Chmod(scratch, 0o755)
	var d *buildkitref.Daemon
	d, err = buildkitref.Start(context.Background(), buildkitref.Options{Workdir: filepath.Join(scratch, "bk")})
	if err != nil {
		t.Fatalf("BuildKit reference unavailable: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(context.Background()); err != nil {
			t.Errorf("stop buildkitd: %v", err)
		}
	})
	ck := &Checker{Bin: bin, Busybox: "/bin/busybox", Daemon: d, Repro: *repro}
	if withRootless {
		testenv.Slow(t, "useradd", "usermod", "newuidmap", "newgidmap")
		rb, err := SetupRootless(bin, filepath.Join(scratch, "bin"))
		if err != nil {
			t.Fatal(err)
		}
		ck.Rootless, ck.RootlessBin, ck.RootlessUser = true, rb, RootlessUser
	}
	work := filepath.Join(scratch, "work")
	os.MkdirAll(work, 0o755)
	return &Campaign{Checker: ck, First: from, Seeds: n, Jobs: 1, Work: work, ShrinkBudget: *budget, Log: t.Logf}
}
