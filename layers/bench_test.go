package layers

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// benchSizeMB is the synthetic upper dir's size: 1024 unless
// STEVEDORE_BENCH_MB says otherwise (e.g. 128 for a quick run).
func benchSizeMB(b *testing.B) int {
	if s := os.Getenv("STEVEDORE_BENCH_MB"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 8 {
			b.Fatalf("STEVEDORE_BENCH_MB=%q: want a number >= 8", s)
		}
		return n
	}
	return 1024
}

// makeUpper writes sizeMB of content: a quarter as 4 KiB files in 64
// dirs, the rest as three large files, half text and half random bytes.
func makeUpper(b *testing.B, dir string, sizeMB int) {
	b.Helper()
	small := sizeMB << 20 / 4
	chunk := []byte(strings.Repeat("line of fairly compressible build output 0123456789\n", 80))[:4096]
	for i := 0; i < small/4096; i++ {
		d := filepath.Join(dir, "usr/share/d"+strconv.Itoa(i%64))
		if i < 64 {
			mustOK(b, os.MkdirAll(d, 0o755))
		}
		mustOK(b, os.WriteFile(filepath.Join(d, "f"+strconv.Itoa(i)), chunk, 0o644))
	}
	random := pseudoRandom(1 << 20)
	for i := 0; i < 3; i++ {
		f, err := os.Create(filepath.Join(dir, "big"+strconv.Itoa(i)))
		mustOK(b, err)
		w := bufio.NewWriter(f)
		for mb := 0; mb < (sizeMB<<20-small)/3>>20; mb++ {
			if mb%2 == 0 {
				_, err = w.Write(random)
			} else {
				for j := 0; j < 256; j++ {
					_, err = w.Write(chunk)
				}
			}
			mustOK(b, err)
		}
		mustOK(b, w.Flush())
		mustOK(b, f.Close())
	}
}

// BenchmarkWriteLayer turns a synthetic upper dir into a gzipped layer and
// compares with `tar | gzip -6` on the same dir; it reports the time ratio
// and the peak RSS growth during the write, which must stay flat whatever
// the size (STEVEDORE_BENCH_MB=128 vs the default 1024 shows it).
func BenchmarkWriteLayer(b *testing.B) {
	requireRoot(b)
	sizeMB := benchSizeMB(b)
	root := b.TempDir()
	upper, view := filepath.Join(root, "upper"), filepath.Join(root, "view")
	mustOK(b, os.MkdirAll(upper, 0o755))
	mustOK(b, os.MkdirAll(view, 0o755))
	makeUpper(b, upper, sizeMB)
	unmount, err := MountReadOnly(nil, view)
	mustOK(b, err)
	defer unmount()
	var ours, theirs time.Duration
	var peak int64
	b.SetBytes(int64(sizeMB) << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		growth := peakRSSGrowth(func() {
			if _, err := WriteLayer(context.Background(), io.Discard, view, upper, testEpoch); err != nil {
				b.Fatal(err)
			}
		})
		ours += time.Since(start)
		peak = max(peak, growth)
		b.StopTimer()
		theirs += timeTarGzip(b, upper)
		b.StartTimer()
	}
	b.ReportMetric(float64(ours)/float64(theirs), "ours/tar-gzip")
	b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-growth-MiB")
	b.ReportMetric(float64(sizeMB), "layer-MiB")
}

func timeTarGzip(b *testing.B, dir string) time.Duration {
	start := time.Now()
	out, err := exec.Command("sh", "-c", fmt.Sprintf("tar -C %q -cf - . | gzip -6 > /dev/null", dir)).CombinedOutput()
	if err != nil {
		b.Fatalf("tar | gzip: %v %s", err, out)
	}
	return time.Since(start)
}

// peakRSSGrowth runs fn while sampling VmRSS and returns the largest
// increase over the RSS before it started.
func peakRSSGrowth(fn func()) int64 {
	base := rss()
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			if r := rss(); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	wg.Wait()
	return max(0, peak.Load()-base)
}

// rss reads the resident set size from /proc/self/status, in bytes.
func rss() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// TestStreamingMemory writes a layer with one 384 MiB file: the RSS growth
// must stay far below the file size (no whole-file or whole-layer buffers).
func TestStreamingMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 384 MiB")
	}
	s := newStack(t)
	upper := filepath.Join(s.root, "upper")
	view := filepath.Join(s.root, "view")
	mustOK(t, os.MkdirAll(upper, 0o755))
	mustOK(t, os.MkdirAll(view, 0o755))
	f, err := os.Create(filepath.Join(upper, "big"))
	mustOK(t, err)
	line := []byte(strings.Repeat("0123456789abcdef", 4096))
	for i := 0; i < 384<<20/len(line); i++ {
		_, err := f.Write(line)
		mustOK(t, err)
	}
	mustOK(t, f.Close())
	unmount, err := MountReadOnly(nil, view)
	mustOK(t, err)
	defer unmount()
	growth := peakRSSGrowth(func() {
		if _, err := WriteLayer(context.Background(), io.Discard, view, upper, testEpoch); err != nil {
			t.Fatal(err)
		}
	})
	if growth > 48<<20 {
		t.Errorf("RSS grew by %d MiB while writing a 384 MiB layer, want < 48 MiB", growth>>20)
	}
	t.Logf("RSS growth %.1f MiB", float64(growth)/(1<<20))
}
