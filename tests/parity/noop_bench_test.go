package parity

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// noopTargets is how many generated targets the no-op rebuild covers.
const noopTargets = 500

// BenchmarkNoopRebuild builds a generated tree of noopTargets targets once
// (untimed), then times `stevedore build` of the unchanged tree: every
// target is cached, so the time is what deciding that costs (loading the
// tree, verifying sources, hashing contexts, checking out/). Target: < 1 s.
//
// The tree is a chain of dependencies like StageX's: core-busybox, and
// core-pNNN packages, each with a fetched source (16 KiB, every 50th
// 8 MiB), a COPY --from of an earlier package and, every 25th, a RUN.
//
// STEVEDORE_BENCH_NOOP_TREE=DIR writes the tree to DIR and keeps it.
//
//	STEVEDORE_SLOW=1 STEVEDORE_BIN=$PWD/bin/stevedore go test -tags osusergo,netgo,seccomp \
//	    -run XXX -bench NoopRebuild -benchtime 3x ./tests/parity/
func BenchmarkNoopRebuild(b *testing.B) {
	slow(b)
	bin := stevedoreBin(b)
	root := noopTree(b, noopTargets)
	runB(b, bin, "--tree", root, "fetch", "--offline", "--mirror-dir", filepath.Join(root, "mirror"), "--progress=quiet")
	cold := timed(func() { runB(b, bin, "--tree", root, "build", "--progress=quiet") })
	var peakKiB int64
	var wall, cpu time.Duration
	// b.Loop runs this function once, so the tree is built once.
	for b.Loop() {
		u := runPeak(b, bin, "--tree", root, "build", "--progress=quiet")
		wall, cpu, peakKiB = wall+u.wall, cpu+u.cpu, max(peakKiB, u.peakKiB)
	}
	b.StopTimer()
	out, err := exec.Command(bin, "--tree", root, "build", "--progress=plain").CombinedOutput()
	if err != nil {
		b.Fatalf("stevedore build: %v\n%s", err, out)
	}
	if n := bytes.Count(out, []byte(" cached\n")); n != noopTargets {
		b.Fatalf("a no-op rebuild found %d of %d targets cached:\n%s", n, noopTargets, out)
	}
	b.ReportMetric(cold.Seconds(), "stevedore-cold-s")
	b.ReportMetric(wall.Seconds()/float64(b.N), "stevedore-noop-s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "stevedore-noop-cpu-s")
	b.ReportMetric(float64(peakKiB)/1024, "stevedore-noop-peak-MiB")
}

// noopTree writes n targets: core-busybox and core-p001 ... core-p<n-1>.
func noopTree(b *testing.B, n int) string {
	b.Helper()
	root := filepath.Join(b.TempDir(), "tree")
	if dir := os.Getenv("STEVEDORE_BENCH_NOOP_TREE"); dir != "" {
		// Kept for profiling: stevedore --tree $dir build.
		root = dir
	}
	tree := newBenchTree(b, root)
	mirror, must, pkg := tree.mirror, tree.must, tree.pkg
	for i := 1; i < n; i++ {
		name := fmt.Sprintf("p%03d", i)
		size := 16 << 10
		if i%50 == 0 {
			size = 8 << 20
		}
		src := bytes.Repeat([]byte(fmt.Sprintf("%s source line\n", name)), size/17+1)[:size]
		must(os.WriteFile(filepath.Join(mirror, name+".txt"), src, 0o644))
		toml := fmt.Sprintf("\n[sources.src]\nhash = \"@SHA256:%s.txt@\"\nmirrors = [\"https://example.invalid/src/%s.txt\"]\n", name, name)
		var cf bytes.Buffer
		dep := "busybox"
		if i > 1 {
			dep = fmt.Sprintf("p%03d", i/2)
		}
		if i%25 == 0 {
			fmt.Fprintf(&cf, "FROM stagex/core-busybox AS build\nADD fetch/%s.txt /src/\nRUN wc -c /src/%s.txt > /src/count\n", name, name)
			fmt.Fprintf(&cf, "FROM scratch AS package\nCOPY --from=build /src/ /%s/\n", name)
		} else {
			fmt.Fprintf(&cf, "FROM scratch AS package\nADD fetch/%s.txt /%s/\n", name, name)
		}
		if dep != "busybox" {
			fmt.Fprintf(&cf, "COPY --from=stagex/core-%s /%s/ /%s/\n", dep, dep, dep)
		}
		fmt.Fprintf(&cf, "COPY <<EOF /%s/meta\nname=%s\nEOF\n", name, name)
		pkg(name, toml, cf.String())
	}
	testenv.SubstituteHashes(b, root)
	return root
}
