package assemble

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/sandbox"
)

// buildLimited builds cf (with /bin/busybox as its only context file) in
// workDir with the given limits and returns the log and the error.
func buildLimited(t *testing.T, workDir string, lim RunLimits, cf string) (string, error) {
	t.Helper()
	dir := busyboxContext(t)
	os.WriteFile(filepath.Join(dir, "Containerfile"), []byte("FROM scratch\nCOPY busybox /bin/busybox\n"+cf), 0o644)
	r, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: filepath.Join(t.TempDir(), "state")})
	if err != nil && strings.Contains(err.Error(), "without seccomp support") {
		t.Skip("the sandbox needs -tags seccomp: run make test")
	}
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	b := &Builder{Runner: r, WorkDir: workDir, Layers: OverlayLayers{}, Limits: lim}
	img, err := b.Build(context.Background(), parsed(t, Target{
		Name: "t", Containerfile: filepath.Join(dir, "Containerfile"), ContextDir: dir,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Epoch: time.Unix(1, 0).UTC(), Log: &log,
	}))
	if img != nil {
		img.Close()
	}
	return log.String(), err
}

// A RUN that prints 2 MB keeps 10 kB of it in the log, says so, and
// still succeeds.
func TestRunLogLimit(t *testing.T) {
	log, err := buildLimited(t, t.TempDir(), RunLimits{LogBytes: 10000},
		`RUN ["/bin/busybox", "sh", "-c", "/bin/busybox yes 0123456789abcdef | /bin/busybox head -c 2000000; echo done > /done"]`+"\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(log) > 12000 || !strings.Contains(log, "output clipped") || !strings.Contains(log, "--run-log-limit") {
		t.Errorf("log is %d bytes (want about 10000) and ends %q", len(log), log[max(0, len(log)-300):])
	}
}

// A fork bomb under a pids limit fails inside its RUN.
func TestRunPidsLimit(t *testing.T) {
	_, err := buildLimited(t, t.TempDir(), RunLimits{PidsLimit: 32},
		`RUN ["/bin/busybox", "sh", "-c", "i=0; while [ $i -lt 100 ]; do /bin/busybox sleep 20 & i=$((i+1)); done"]`+"\n")
	if err == nil || !strings.Contains(err.Error(), "Containerfile:3") || !strings.Contains(err.Error(), "--pids-limit") {
		t.Errorf("err = %v, want the RUN on line 3 to fail naming its pids limit", err)
	}
}

// A RUN that fills the work directory's filesystem is stopped at the
// reserve, with an error that says why and what to do.
func TestRunStopsAtMinFreeSpace(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	fs := t.TempDir()
	if err := unix.Mount("tmpfs", fs, "tmpfs", 0, "size=96m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(fs, unix.MNT_DETACH) })
	work := filepath.Join(fs, "work")
	start := time.Now()
	_, err := buildLimited(t, work, RunLimits{MinFreeBytes: 48 << 20},
		`RUN ["/bin/busybox", "sh", "-c", "i=0; while [ $i -lt 80 ]; do /bin/busybox dd if=/dev/zero of=/f$i bs=1M count=1 2>/dev/null; /bin/busybox sleep 0.05; i=$((i+1)); done"]`+"\n")
	if err == nil || !strings.Contains(err.Error(), "low disk space") || !strings.Contains(err.Error(), "--min-free-space") || !strings.Contains(err.Error(), "Containerfile:3") {
		t.Errorf("err = %v, want the RUN on line 3 stopped for low disk space", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %v", d)
	}
}

// busyboxContext returns a build context holding the host's static busybox
// as "busybox", and skips the test unless it runs as root and has one.
func busyboxContext(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox (Debian package busybox-static)")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}
