package parity

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/plan"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
)

// BenchmarkExamplesVersusBuildKit builds the example tree with stevedore
// and with BuildKit in the same run, cold (empty caches) and warm (a
// second build of the unchanged tree), and reports the time ratios
// stevedore/buildkit (targets: cold <= 1, warm stevedore < 1 s).
//
//	STEVEDORE_SLOW=1 STEVEDORE_BIN=$PWD/bin/stevedore go test -tags osusergo,netgo,seccomp \
//	    -run XXX -bench ExamplesVersusBuildKit -benchtime 3x ./tests/parity/
func BenchmarkExamplesVersusBuildKit(b *testing.B) {
	slow(b)
	bin := stevedoreBin(b)
	var sCold, sWarm, kCold, kWarm time.Duration
	for i := 0; i < b.N; i++ {
		root := copyTree(b, "../../examples")
		runB(b, bin, "--tree", root, "fetch", "--offline", "--mirror-dir", filepath.Join(root, "mirror"), "--progress=quiet")
		sCold += timed(func() { runB(b, bin, "--tree", root, "build", "--progress=quiet") })
		sWarm += timed(func() { runB(b, bin, "--tree", root, "build", "--progress=quiet") })
		d := startBuildKit(b)
		kCold += timed(func() { buildTreeWithBuildKit(b, d, root, b.TempDir()) })
		kWarm += timed(func() { buildTreeWithBuildKit(b, d, root, b.TempDir()) })
	}
	n := float64(b.N)
	b.ReportMetric(sCold.Seconds()/n, "stevedore-cold-s")
	b.ReportMetric(sWarm.Seconds()/n, "stevedore-warm-s")
	b.ReportMetric(kCold.Seconds()/n, "buildkit-cold-s")
	b.ReportMetric(kWarm.Seconds()/n, "buildkit-warm-s")
	b.ReportMetric(sCold.Seconds()/kCold.Seconds(), "cold-ratio")
	b.ReportMetric(sWarm.Seconds()/kWarm.Seconds(), "warm-ratio")
}

func buildTreeWithBuildKit(b *testing.B, d *buildkitref.Daemon, root, out string) {
	tree, err := recipes.Load(root, recipes.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ordered, err := plan.Order(tree, tree.Targets)
	if err != nil {
		b.Fatal(err)
	}
	for _, tg := range ordered {
		if err := d.Build(context.Background(), referenceOptions(b, root, out, tg, filepath.Join(out, tg.Name))); err != nil {
			b.Fatal(err)
		}
	}
}

func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

func runB(b *testing.B, bin string, args ...string) {
	b.Helper()
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		b.Fatalf("stevedore %v: %v\n%s", args, err, out)
	}
}
