package sandbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/sandbox"
	"github.com/stevedore-build/stevedore/sandbox/sandboxtest"
)

// BenchmarkTrue measures start-to-exit latency of `true` in the sandbox and,
// alternating in the same loop, under `runc run` (Debian's runc) with the
// same OCI spec and rootfs contents. It reports both medians and their
// ratio (sandbox/runc; the target is <= 1).
func BenchmarkTrue(b *testing.B) {
	runcPath, err := exec.LookPath("runc")
	if err != nil {
		b.Fatalf("runc not found: %v (apt-get install runc)", err)
	}
	r := newRunner(b)
	ours := sandboxtest.Busybox(b)
	theirs := sandboxtest.Busybox(b)
	bundle := b.TempDir()
	spec, err := sandbox.RuncSpecForTest(theirs, bundle, []string{"/bin/true"})
	if err != nil {
		b.Fatal(err)
	}
	data, err := json.Marshal(spec)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), data, 0o644); err != nil {
		b.Fatal(err)
	}
	runcRoot := b.TempDir()
	run := sandbox.Spec{Rootfs: ours, Args: []string{"/bin/true"}, Rlimits: sandboxtest.StageXRlimits}
	var tOurs, tRunc []time.Duration
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if res, err := r.Run(context.Background(), run); err != nil || res.ExitCode != 0 {
			b.Fatalf("sandbox: %v, exit %d", err, res.ExitCode)
		}
		tOurs = append(tOurs, time.Since(start))
		start = time.Now()
		cmd := exec.Command(runcPath, "--root", runcRoot, "run", "--bundle", bundle, fmt.Sprintf("bench-%d", i))
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("runc run: %v: %s", err, out)
		}
		tRunc = append(tRunc, time.Since(start))
	}
	mOurs, mRunc := median(tOurs), median(tRunc)
	b.ReportMetric(float64(mOurs.Microseconds())/1000, "sandbox-ms")
	b.ReportMetric(float64(mRunc.Microseconds())/1000, "runc-ms")
	b.ReportMetric(float64(mOurs)/float64(mRunc), "sandbox/runc")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
