package parity

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// runHeavyExecs is how many processes each of runHeavyRuns RUNs starts.
const (
	runHeavyExecs = 3000
	runHeavyRuns  = 3
)

// runHeavyScript is bootstrap-stage0's shape: a shell starting many tiny
// static programs on small files, one after the other. Each iteration
// starts three busybox processes.
func runHeavyScript(dir string, run int) string {
	return fmt.Sprintf("cd %s && i=0; while [ $i -lt %d ]; do /bin/busybox true; /bin/busybox echo %d-$i > f; /bin/busybox cat f >> log; i=$((i+1)); done; /bin/busybox wc -l log",
		dir, runHeavyExecs/3, run)
}

// BenchmarkRunHeavyVersusBuildKit builds a tree (core-busybox, and
// core-stage0 whose RUNs each start runHeavyExecs processes: busybox
// applets, static) cold with stevedore and with BuildKit (a fresh daemon)
// in the same run, and the same scripts
// directly on the host (no sandbox: no namespaces, no seccomp, no
// overlay) as the floor of the work itself. It reports both build times,
// their ratio, the host's time for the RUNs, and each sandbox's cost per
// process start above the host's.
//
//	STEVEDORE_SLOW=1 STEVEDORE_BIN=$PWD/bin/stevedore go test -tags osusergo,netgo,seccomp \
//	    -run XXX -bench RunHeavy -benchtime 1x ./tests/parity/
func BenchmarkRunHeavyVersusBuildKit(b *testing.B) {
	slow(b)
	bin := stevedoreBin(b)
	var sCold, kCold, host time.Duration
	for i := 0; i < b.N; i++ {
		root := runHeavyTree(b)
		runB(b, bin, "--tree", root, "fetch", "--offline", "--mirror-dir", filepath.Join(root, "mirror"), "--progress=quiet")
		sCold += timed(func() { runB(b, bin, "--tree", root, "build", "--progress=quiet") })
		d := startBuildKit(b)
		kCold += timed(func() { buildTreeWithBuildKit(b, d, root, b.TempDir()) })
		host += timed(func() {
			dir := b.TempDir()
			for r := 1; r <= runHeavyRuns; r++ {
				if o, err := exec.Command("/bin/busybox", "sh", "-c", runHeavyScript(dir, r)).CombinedOutput(); err != nil {
					b.Fatalf("host run: %v\n%s", err, o)
				}
			}
		})
		os.RemoveAll(root)
	}
	n := float64(b.N)
	execs := float64(runHeavyExecs * runHeavyRuns)
	b.ReportMetric(sCold.Seconds()/n, "stevedore-s")
	b.ReportMetric(kCold.Seconds()/n, "buildkit-s")
	b.ReportMetric(sCold.Seconds()/kCold.Seconds(), "ratio")
	b.ReportMetric(host.Seconds()/n, "host-s")
	b.ReportMetric((sCold-host).Seconds()/n/execs*1e6, "stevedore-us/exec-over-host")
	b.ReportMetric((kCold-host).Seconds()/n/execs*1e6, "buildkit-us/exec-over-host")
}

// runHeavyTree writes core-busybox and core-stage0, whose build stage
// runs runHeavyRuns RUNs of runHeavyScript and ships their log.
func runHeavyTree(b *testing.B) string {
	b.Helper()
	root := filepath.Join(b.TempDir(), "tree")
	tree := newBenchTree(b, root)
	pkg := tree.pkg
	cf := "FROM stagex/core-busybox AS build\nRUN mkdir /work\n"
	for r := 1; r <= runHeavyRuns; r++ {
		cf += "RUN " + runHeavyScript("/work", r) + "\n"
	}
	cf += "FROM scratch AS package\nCOPY --from=build /work/log /log\n"
	pkg("stage0", "", cf)
	testenv.SubstituteHashes(b, root)
	return root
}
