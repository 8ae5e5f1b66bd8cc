package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// diskPhases are the kill phases that write, by name: each is run with
// the disk filled when its trigger fires.
var diskPhases = []string{"download", "unpack tar.xz", "core-box RUN 1", "core-hello RUN 1", "layer write",
	"layout write", "digest record", "sign", "export", "bundle", "unbundle"}

// enospcRE is how every disk-full error must read.
var enospcRE = regexp.MustCompile(`(?i)no space left on device`)

// TestDiskFull puts the warm tree, its TMPDIR and the unbundle target on
// a 64 MiB tmpfs and fills that file system while each writing phase
// runs: the command must fail with ENOSPC naming the path that could not
// be written, leave nothing corrupt behind (checker.tree), and succeed
// with the committed digests once the space is back.
func TestDiskFull(t *testing.T) {
	testenv.Slow(t, "gpg", "gpgconf")
	start := time.Now()
	seed := faultSeed(t)
	r := rand.New(rand.NewPCG(seed, 0xd15c))
	dir := t.TempDir()
	base := newFixture(t, dir)
	disk := filepath.Join(dir, "disk")
	if err := os.Mkdir(disk, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", disk, "tmpfs", 0, "size=64m,mode=0755"); err != nil {
		t.Fatalf("mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { unmountUnder(disk) })
	f := *base
	f.tree, f.tmp = filepath.Join(disk, "tree"), filepath.Join(disk, "tmp")
	// The whole disk is 64 MiB: a RUN's free-space reserve (512M by
	// default) would refuse every RUN, also after the space is back.
	f.buildFlags = []string{"--min-free-space=1M"}
	testenv.Must(t, "", "cp", "-a", base.tree, f.tree)
	os.Mkdir(f.tmp, 0o755)
	env := killEnv{refBundle: filepath.Join(disk, "ref.bundle"), dst: filepath.Join(disk, "dst")}
	env.key, _ = genKey(t, dir)
	f.must("bundle", "-o", env.refBundle, "core-hello", "core-box")
	testenv.Must(t, "", "cp", "-a", "../../examples", env.dst)
	for _, d := range []string{"out", "fetch", "digests", ".stevedore", "mirror"} {
		os.RemoveAll(filepath.Join(env.dst, d))
	}
	env.images = countBundleImages(t, env.refBundle)

	phases := map[string]phase{}
	for _, p := range append(append(fetchPhases(), buildPhases(&f)...), outputPhases(env)...) {
		phases[p.name] = p
	}
	d := &diskFiller{t: t, f: &f, disk: disk, r: r}
	runs := 0
	for _, name := range diskPhases {
		if d.phase(phases[name]) {
			runs++
		}
	}
	if runs < 10 {
		t.Errorf("only %d disk-full runs", runs)
	}
	t.Logf("disk-full summary: %d runs (%s); seed %d; %s", runs, strings.Join(d.counts, ", "), seed, time.Since(start).Round(time.Second))
}

// diskFiller runs phases with the disk filled.
type diskFiller struct {
	t      *testing.T
	f      *fixture
	disk   string
	r      *rand.Rand
	counts []string
}

// phase runs p until the disk fills up while it works (up to 10 attempts,
// firing earlier each time), then checks the tree and the run after the
// space is back. It reports whether a disk-full run happened.
func (d *diskFiller) phase(p phase) bool {
	t, f := d.t, d.f
	if p.name == "" {
		t.Fatal("unknown disk phase")
	}
	full := time.Duration(0)
	scale := 1.0
	for attempt := 0; attempt < 10; attempt++ {
		p.setup(f, d.r)
		c := p.cmd(f, d.r)
		if full == 0 {
			begin := time.Now()
			if _, err := c.run(); err != nil {
				t.Fatalf("%s: fails without a fault: %v", p.name, err)
			}
			full = time.Since(begin)
			p.setup(f, d.r)
		}
		tr := p.trigger(f, d.r, full)
		tr.delay = time.Duration(float64(tr.delay) * scale / 2)
		filler := filepath.Join(d.disk, "filler")
		fault := func(*exec.Cmd) { fill(t, filler, 0) }
		if attempt >= 2 {
			// Too quick to fill in flight: start it on a disk with a few
			// KiB free.
			fill(t, filler, d.r.Int64N(8<<10))
			tr, fault = trigger{}, func(*exec.Cmd) {}
		}
		res := runFaulted(c, tr, fault)
		if res.err == nil {
			os.Remove(filler)
			scale /= 3
			continue // done before the disk filled up
		}
		if !enospcRE.MatchString(res.output) || (!strings.Contains(res.output, d.disk) && !strings.Contains(p.name, "RUN")) {
			t.Errorf("%s with a full disk: the error does not say ENOSPC and name the path:\n%s", p.name, res.output)
		}
		if l := firstENOSPC(res.output); repeatsItself(l) {
			t.Errorf("%s with a full disk: the error says the same thing twice: %s", p.name, l)
		}
		if bad := f.check.tree(f.tree); len(bad) > 0 {
			t.Errorf("%s with a full disk left:\n  %s\noutput:\n%s", p.name, strings.Join(bad, "\n  "), res.output)
		}
		os.Remove(filler)
		if out, err := c.run(); err != nil {
			t.Errorf("%s after the space is back: %v\nfull-disk output:\n%s%s", p.name, err, res.output, out)
			return true
		}
		bad := f.check.tree(f.tree)
		if p.check != nil {
			bad = append(bad, p.check(f)...)
		}
		if len(bad) > 0 {
			t.Errorf("%s: after a full disk and a successful run:\n  %s", p.name, strings.Join(bad, "\n  "))
		}
		d.counts = append(d.counts, fmt.Sprintf("%s (attempt %d)", p.name, attempt+1))
		t.Logf("%s: %s", p.name, firstENOSPC(res.output))
		return true
	}
	t.Errorf("%s: never ran out of space in 10 attempts", p.name)
	return false
}

// fill takes every free byte of the file system of path, but leave, into
// the file path.
func fill(t *testing.T, path string, leave int64) {
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Errorf("fill: %v", err)
		return
	}
	defer fh.Close()
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(fh.Fd()), &st); err != nil {
		t.Errorf("fill: %v", err)
		return
	}
	size := int64(st.Bavail) * st.Bsize
	for size > 0 && unix.Fallocate(int(fh.Fd()), 0, 0, size) != nil {
		size -= 1 << 16
	}
	// Whatever fallocate left (less than its step), in small writes.
	buf := make([]byte, 4096)
	for {
		if _, err := fh.Write(buf); err != nil {
			break
		}
	}
	if leave > 0 {
		if fi, err := fh.Stat(); err == nil {
			fh.Truncate(max(0, fi.Size()-leave))
		}
	}
}

// firstENOSPC is the first output line that reports ENOSPC.
func firstENOSPC(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if enospcRE.MatchString(l) {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

// repeatsItself reports an error line with two equal ": "-separated parts
// in a row, such as "write /x: write /x: no space left on device".
func repeatsItself(line string) bool {
	parts := strings.Split(line, ": ")
	for i := 1; i < len(parts); i++ {
		if parts[i] == parts[i-1] && strings.Contains(parts[i], "/") {
			return true
		}
	}
	return false
}
