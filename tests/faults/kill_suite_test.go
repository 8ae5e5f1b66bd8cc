package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/digests/signature"
	"github.com/stevedore-build/stevedore/exchange/bundle"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// maxReports bounds the failures reported in detail per phase; the rest
// are counted.
const maxReports = 3

// TestKillEveryPhase kills stevedore with SIGKILL in every phase, many
// times at random offsets, and after each kill requires a consistent tree
// (checker.tree), then runs the same command to the end and requires it to
// succeed with the committed digests.
func TestKillEveryPhase(t *testing.T) {
	testenv.Slow(t, "gpg", "gpgconf")
	start := time.Now()
	seed := faultSeed(t)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	dir := t.TempDir()
	f := newFixture(t, dir)
	env := killEnv{refBundle: filepath.Join(dir, "ref.bundle"), dst: filepath.Join(dir, "dst")}
	var pub string
	env.key, pub = genKey(t, dir)
	kr, err := signature.ReadKeyring(pub)
	if err != nil {
		t.Fatal(err)
	}
	f.check.keyring = kr
	f.must("bundle", "-o", env.refBundle, "core-hello", "core-box")
	env.images = countBundleImages(t, env.refBundle)
	testenv.Must(t, "", "cp", "-a", "../../examples", env.dst)
	for _, d := range []string{"out", "fetch", "digests", ".stevedore", "mirror"} {
		os.RemoveAll(filepath.Join(env.dst, d))
	}

	k := &killer{t: t, f: f, r: r, full: map[string]time.Duration{}}
	for _, p := range append(fetchPhases(), buildPhases(f)...) {
		k.phase(p)
	}
	k.cleanWorks("after the build phases")
	f.must("build", "--progress=quiet")
	for _, p := range outputPhases(env) {
		k.phase(p)
	}
	k.cleanWorks("at the end")
	k.summary(seed, time.Since(start))
}

// countBundleImages is the number of images a bundle carries.
func countBundleImages(t *testing.T, file string) int {
	t.Helper()
	m, err := bundle.Verify(file)
	if err != nil {
		t.Fatal(err)
	}
	return len(m.Images)
}

// faultSeed is $STEVEDORE_FAULT_SEED, else the clock; it is logged so that
// a failing run can be repeated.
func faultSeed(t *testing.T) uint64 {
	if s := os.Getenv("STEVEDORE_FAULT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("STEVEDORE_FAULT_SEED=%q: %v", s, err)
		}
		return n
	}
	n := uint64(time.Now().UnixNano())
	t.Logf("seed %d (repeat with STEVEDORE_FAULT_SEED=%d)", n, n)
	return n
}

// killer runs the phases and counts.
type killer struct {
	t      *testing.T
	f      *fixture
	r      *rand.Rand
	full   map[string]time.Duration // command -> time to run to the end
	counts []string
	kills  int
	missed int // runs that ended before their kill
	failed int
}

// phase kills p.cmd p.kills times (up to four times as many attempts: a
// run can end before its kill).
func (k *killer) phase(p phase) {
	t, f := k.t, k.f
	if only := os.Getenv("STEVEDORE_FAULT_PHASE"); only != "" && !strings.Contains(p.name, only) {
		return
	}
	kills, reports := 0, 0
	// scale shrinks the kill delays of a phase whose runs end before their
	// kill, and grows them back (up to 1) when kills land.
	scale := 1.0
	fail := func(format string, args ...any) {
		k.failed++
		if reports++; reports <= maxReports {
			t.Errorf("%s, kill %d: %s", p.name, kills, fmt.Sprintf(format, args...))
		}
	}
	for attempt := 0; kills < p.kills && attempt < 4*p.kills; attempt++ {
		p.setup(f, k.r)
		c := p.cmd(f, k.r)
		full, ok := k.full[c.String()]
		if !ok {
			begin := time.Now()
			if _, err := c.run(); err != nil {
				t.Fatalf("%s: the command fails without a fault: %v", p.name, err)
			}
			full = time.Since(begin)
			k.full[c.String()] = full
			p.setup(f, k.r)
		}
		tr := p.trigger(f, k.r, full)
		tr.delay = time.Duration(float64(tr.delay) * scale)
		res := runKilled(c, tr)
		if !res.killed {
			k.missed++
			scale *= 0.6
			if os.Getenv("STEVEDORE_FAULT_DEBUG") != "" {
				t.Logf("%s: missed (%s):\n%s", p.name, describe(tr), res.output)
			}
			if res.err != nil {
				fail("%s failed without a fault: %v\n%s", c, res.err, res.output)
			}
			continue
		}
		kills++
		scale = min(1, scale*1.25)
		if bad := f.check.tree(f.tree); len(bad) > 0 {
			fail("after SIGKILL (%s):\n  %s\noutput before the kill:\n%s", describe(tr), strings.Join(bad, "\n  "), res.output)
		}
		if out, err := c.run(); err != nil {
			fail("the next command failed after SIGKILL (%s): %v\noutput before the kill:\n%s%s", describe(tr), err, res.output, out)
			continue
		}
		bad := f.check.tree(f.tree)
		if p.check != nil {
			bad = append(bad, p.check(f)...)
		}
		if len(bad) > 0 {
			fail("after SIGKILL (%s) and a successful %s:\n  %s", describe(tr), c, strings.Join(bad, "\n  "))
		}
	}
	if kills < p.kills {
		t.Errorf("%s: only %d of %d kills landed before the command ended (raise its window)", p.name, kills, p.kills)
	}
	if reports > maxReports {
		t.Errorf("%s: %d more failures", p.name, reports-maxReports)
	}
	k.kills += kills
	k.counts = append(k.counts, fmt.Sprintf("%s %d", p.name, kills))
}

// cleanWorks requires `stevedore clean` to succeed after all those kills
// and to leave no mount under the tree or TMPDIR; then it rebuilds the warm
// cache. A failure here is the leftover of a killed RUN (overlay mounts,
// build-* and fetch-* folders, stevedore-upperview-* in TMPDIR).
func (k *killer) cleanWorks(when string) {
	t, f := k.t, k.f
	if _, err := f.cmd("clean").run(); err != nil {
		k.failed++
		t.Errorf("stevedore clean %s fails: %v", when, err)
	}
	for _, dir := range []string{f.tree, f.tmp} {
		if ms := unmountUnder(dir); len(ms) > 0 {
			k.failed++
			t.Errorf("%s: %d mounts left under %s: %s", when, len(ms), dir, strings.Join(ms, " "))
		}
	}
	if left, _ := filepath.Glob(filepath.Join(f.tmp, "stevedore-*")); len(left) > 0 {
		k.failed++
		t.Errorf("%s: %d stevedore temp dirs left in TMPDIR: %s", when, len(left), strings.Join(left, " "))
	}
	os.RemoveAll(filepath.Join(f.tree, ".stevedore", "work"))
	for _, l := range glob(f.tmp, "*") {
		os.RemoveAll(filepath.Join(f.tmp, l))
	}
}

func (k *killer) summary(seed uint64, wall time.Duration) {
	k.t.Logf("fault summary: %d kills (%s); %d runs ended before their kill; %d failures; seed %d; %s",
		k.kills, strings.Join(k.counts, ", "), k.missed, k.failed, seed, wall.Round(time.Second))
	if left := tempLeftovers(k.f.tree); len(left) > 0 {
		k.t.Logf("hidden temp files dead writers left where complete files go (harmless, never swept): %s", strings.Join(left, ", "))
	}
}

// tempLeftovers counts the hidden temp files and dirs of dead writers next
// to complete files, by folder.
func tempLeftovers(tree string) []string {
	var out []string
	for _, pattern := range []string{"fetch/*/*", "out", "digests", "signatures/*/*", "exports", "bundles"} {
		n := 0
		for _, dir := range glob(tree, pattern) {
			m, _ := filepath.Glob(filepath.Join(tree, dir, ".*"))
			n += len(m)
		}
		if n > 0 {
			out = append(out, fmt.Sprintf("%s %d", pattern, n))
		}
	}
	return out
}

// describe says where a kill was aimed.
func describe(tr trigger) string {
	switch {
	case tr.line != nil:
		return fmt.Sprintf("%v after output line %d matching %q", tr.delay, max(tr.nth, 1), tr.line)
	case tr.glob != "":
		return fmt.Sprintf("%v after %s appeared", tr.delay, tr.glob)
	}
	return fmt.Sprintf("%v after start", tr.delay)
}
