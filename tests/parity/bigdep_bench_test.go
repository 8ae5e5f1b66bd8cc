package parity

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// bigDepDependents is how many targets copy the big dependency.
const bigDepDependents = 6

// BenchmarkBigDependencyVersusBuildKit is StageX's common shape: several
// packages copy a whole toolchain image into their build stage
// (COPY --from=stagex/core-gcc . /), RUN once, and ship a one-file package
// stage. The toolchain is Go's own tree (GOROOT, about 250 MB, on every
// machine that builds stevedore) added from a tar source;
// STEVEDORE_BENCH_BIGDEP_COPIES=4 adds it that many times (about 1 GB) to
// show whether peak memory stays flat as the dependency grows.
//
// It reports, from the same run: stevedore's and BuildKit's cold build of
// the tree (a fresh BuildKit daemon) and their ratio; stevedore's rebuild
// after a comment-only change to one dependent's Containerfile as a
// fraction of its cold build (wall and CPU time); and stevedore's peak
// RSS (its own process tree's, not the benchmark's: see runPeak).
//
// STEVEDORE_BENCH_BIGDEP_TREE=DIR writes the tree to DIR and keeps it.
//
//	STEVEDORE_SLOW=1 STEVEDORE_BIN=$PWD/bin/stevedore go test -tags osusergo,netgo,seccomp \
//	    -run XXX -bench BigDependency -benchtime 1x ./tests/parity/
func BenchmarkBigDependencyVersusBuildKit(b *testing.B) {
	slow(b)
	bin := stevedoreBin(b)
	copies := 1
	if v := os.Getenv("STEVEDORE_BENCH_BIGDEP_COPIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("STEVEDORE_BENCH_BIGDEP_COPIES=%q: want a positive number", v)
		}
		copies = n
	}
	var sCold, sComment, kCold time.Duration
	var cpuCold, cpuComment time.Duration
	var peakKiB int64
	// b.Loop runs this function once: -benchtime 1x is one iteration
	// (one cold build, one comment-only rebuild, one BuildKit cold build).
	for b.Loop() {
		root := bigDepTree(b, copies)
		runB(b, bin, "--tree", root, "fetch", "--offline", "--mirror-dir", filepath.Join(root, "mirror"), "--progress=quiet")
		u := runPeak(b, bin, "--tree", root, "build", "--progress=quiet")
		sCold, cpuCold, peakKiB = sCold+u.wall, cpuCold+u.cpu, max(peakKiB, u.peakKiB)
		cf := filepath.Join(root, "packages", "core", "app1", "Containerfile")
		appendFile(b, cf, "# a comment changes no instruction's inputs\n")
		u = runPeak(b, bin, "--tree", root, "build", "--progress=quiet")
		sComment, cpuComment, peakKiB = sComment+u.wall, cpuComment+u.cpu, max(peakKiB, u.peakKiB)
		d := startBuildKit(b)
		kCold += timed(func() { buildTreeWithBuildKit(b, d, root, b.TempDir()) })
		if os.Getenv("STEVEDORE_BENCH_BIGDEP_TREE") == "" {
			os.RemoveAll(root)
		}
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(sCold.Seconds()/n, "stevedore-cold-s")
	b.ReportMetric(cpuCold.Seconds()/n, "stevedore-cold-cpu-s")
	b.ReportMetric(kCold.Seconds()/n, "buildkit-cold-s")
	b.ReportMetric(sCold.Seconds()/kCold.Seconds(), "cold-ratio")
	b.ReportMetric(sComment.Seconds()/sCold.Seconds(), "comment-change-of-cold")
	b.ReportMetric(cpuComment.Seconds()/cpuCold.Seconds(), "comment-change-of-cold-cpu")
	b.ReportMetric(float64(peakKiB)/1024, "stevedore-peak-MiB")
}

// bigDepTree writes the benchmark's tree: core-busybox (the host's static
// busybox), core-toolchain (GOROOT added copies times from one tar) and
// bigDepDependents targets core-app<N> that copy all of it.
func bigDepTree(b *testing.B, copies int) string {
	b.Helper()
	root := filepath.Join(b.TempDir(), "tree")
	if dir := os.Getenv("STEVEDORE_BENCH_BIGDEP_TREE"); dir != "" {
		// Kept for profiling; written afresh (a cold build).
		root = dir
		if err := os.RemoveAll(root); err != nil {
			b.Fatal(err)
		}
	}
	tree := newBenchTree(b, root)
	mirror, pkg := tree.mirror, tree.pkg
	goroot := runtime.GOROOT()
	if goroot == "" {
		b.Fatal("no GOROOT to build the big dependency from")
	}
	tarball := filepath.Join(mirror, "toolchain.tar")
	out, err := exec.Command("tar", "--sort=name", "--mtime=@1", "--owner=0", "--group=0", "--numeric-owner",
		"-C", filepath.Dir(goroot), "-cf", tarball, filepath.Base(goroot)).CombinedOutput()
	if err != nil {
		b.Fatalf("tar %s: %v\n%s", goroot, err, out)
	}
	var adds strings.Builder
	for c := 0; c < copies; c++ {
		fmt.Fprintf(&adds, "ADD fetch/toolchain.tar /opt/toolchain%d/\n", c)
	}
	pkg("toolchain", "\n[sources.toolchain]\nhash = \"@SHA256:toolchain.tar@\"\nmirrors = [\"https://example.invalid/toolchain/toolchain.tar\"]\n",
		"FROM scratch\n"+adds.String())
	for i := 1; i <= bigDepDependents; i++ {
		pkg(fmt.Sprintf("app%d", i), "",
			"FROM stagex/core-busybox AS build\n"+
				"COPY --from=stagex/core-toolchain . /\n"+
				fmt.Sprintf("RUN ls -R /opt | wc -l > /out && echo app%d >> /out\n", i)+
				"FROM scratch AS package\nCOPY --from=build /out /out\n")
	}
	testenv.SubstituteHashes(b, root)
	return root
}

func appendFile(b *testing.B, path, s string) {
	b.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		b.Fatal(err)
	}
}
