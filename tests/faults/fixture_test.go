package faults

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// scratch is the temp dir the tests of this binary share; TestMain
// removes it.
var scratch string

func TestMain(m *testing.M) { testenv.MainWithScratch(m, "stevedore-faults-", &scratch) }

// fixture is a fetched and built copy of examples/ whose package.toml
// mirrors point at a local HTTP server, with what the checks compare to.
type fixture struct {
	t      *testing.T
	bin    string
	tree   string
	tmp    string // TMPDIR of every stevedore command
	mirror string // the example's mirror folder (the server's files)
	url    string // the server
	check  *checker
	// steps are each target's instruction lines in build order, with the
	// digest of the layer they produced ("" when none).
	steps map[string][]step
	// buildFlags are added to every build command.
	buildFlags []string
}

// step is one instruction of a target's warm build: its line and the
// diff ID of its cached layer, as the progress output shows them.
type step struct {
	line, digest string
}

// newFixture copies examples/ to dir/tree, serves its mirror over HTTP,
// fetches from the server and builds every target (warm cache).
func newFixture(t *testing.T, dir string) *fixture {
	t.Helper()
	bin, err := testenv.Stevedore("../..", scratch)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, bin: bin, tree: filepath.Join(dir, "tree"), tmp: filepath.Join(dir, "tmp")}
	testenv.Must(t, "", "cp", "-a", "../../examples", f.tree)
	for _, d := range []string{"out", "fetch", "digests", ".stevedore", "signatures"} {
		os.RemoveAll(filepath.Join(f.tree, d))
	}
	if err := os.MkdirAll(f.tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	f.mirror = filepath.Join(f.tree, "mirror")
	testenv.Must(t, f.tree, "sh", "mirror.sh", "mirror")
	// 16 KiB every 2 ms: the 1.7 MiB box takes about 0.2 s to download.
	f.url = serveMirror(t, f.mirror, 16<<10, 2*time.Millisecond)
	f.pointMirrorsAt(f.url)
	f.check = newChecker(t, f.tree)
	f.must("fetch", "--progress=quiet")
	f.must("build", "--progress=quiet")
	f.must("digests")
	f.steps = f.recordSteps()
	t.Cleanup(func() { unmountUnder(f.tree); unmountUnder(f.tmp) })
	return f
}

// mirrorRE matches the scheme and host of a mirror URL in package.toml.
var mirrorRE = regexp.MustCompile(`https?://[^/"]+/`)

// pointMirrorsAt rewrites every mirror of the tree's package.toml files to
// base (the server answers any path by its last element). Mirrors are not
// part of any image.
func (f *fixture) pointMirrorsAt(base string) {
	files, _ := filepath.Glob(filepath.Join(f.tree, "packages", "*", "*", "package.toml"))
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			f.t.Fatal(err)
		}
		out := mirrorRE.ReplaceAllString(string(data), base+"/")
		if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
}

// cmd is a stevedore command on the fixture's tree.
func (f *fixture) cmd(args ...string) command {
	if len(args) > 0 && args[0] == "build" && len(f.buildFlags) > 0 {
		args = append(append([]string{"build"}, f.buildFlags...), args[1:]...)
	}
	return command{bin: f.bin, dir: f.tree, args: append([]string{"--tree", f.tree}, args...), env: []string{"TMPDIR=" + f.tmp}}
}

// must runs a command to the end and fails the test if it fails.
func (f *fixture) must(args ...string) string {
	f.t.Helper()
	out, err := f.cmd(args...).run()
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

// recordSteps rebuilds the chain targets from the layer cache (target
// records removed) with plain progress and returns each target's
// instructions with the digest each one's layer has.
func (f *fixture) recordSteps() map[string][]step {
	for _, target := range []string{"bootstrap-seed", "core-box", "core-hello"} {
		os.Remove(filepath.Join(f.tree, ".stevedore", "cache", target))
	}
	out := f.must("build", "--progress=plain", "bootstrap-seed", "core-box", "core-hello")
	steps := map[string][]step{}
	lineRE := regexp.MustCompile(`^([a-z0-9-]+) \| \[[^]]+\] (.*)$`)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := lineRE.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		target, text := m[1], m[2]
		if d, ok := strings.CutPrefix(text, "cached "); ok && len(steps[target]) > 0 {
			steps[target][len(steps[target])-1].digest = d
			continue
		}
		steps[target] = append(steps[target], step{line: text})
	}
	return steps
}

// nthStep returns the nth (from 1) instruction of target starting with
// prefix.
func (f *fixture) nthStep(target, prefix string, n int) step {
	f.t.Helper()
	for _, s := range f.steps[target] {
		if strings.HasPrefix(s.line, prefix) {
			if n--; n == 0 {
				return s
			}
		}
	}
	f.t.Fatalf("%s has no instruction %q number %d: %v", target, prefix, n, f.steps[target])
	return step{}
}

// forget makes the next build of target redo the instructions whose
// layers have these digests: it removes their layer cache entries and the
// target's record (which would reuse out/ as it is). layerDigests may
// be digests or diff IDs.
func (f *fixture) forget(target string, layerDigests ...string) {
	f.t.Helper()
	cache := filepath.Join(f.tree, ".stevedore", "cache")
	os.Remove(filepath.Join(cache, target))
	if len(layerDigests) == 0 {
		return
	}
	entries, _ := filepath.Glob(filepath.Join(cache, "layers", "*"))
	for _, e := range entries {
		var m struct {
			Digest string
			DiffID string `json:"diff_id"`
		}
		data, err := os.ReadFile(filepath.Join(e, "meta.json"))
		if err != nil || json.Unmarshal(data, &m) != nil {
			continue
		}
		// A blob written after the entry is described by blob.json.
		if data, err := os.ReadFile(filepath.Join(e, "blob.json")); err == nil {
			json.Unmarshal(data, &m)
		}
		for _, d := range layerDigests {
			// "layer <entry>": a cached layer that had no blob yet.
			if m.Digest == d || m.DiffID == d || d == "layer "+filepath.Base(e) {
				if err := os.RemoveAll(e); err != nil {
					f.t.Fatalf("forget layer %s: %v", d, err)
				}
			}
		}
	}
}

// committedDigests reads examples/digests: target -> manifest digest.
func committedDigests(t *testing.T) map[string]string {
	t.Helper()
	want := map[string]string{}
	files, _ := filepath.Glob("../../examples/digests/*.txt")
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := digests.ParseRecords(fh, p)
		fh.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			want[r.Target] = r.Digest.String()
		}
	}
	if len(want) == 0 {
		t.Fatal("no committed digests in examples/digests")
	}
	return want
}

// sourceHashes maps every source file name of the tree to its SHA-256.
func sourceHashes(t *testing.T, tree string) map[string]string {
	t.Helper()
	tr, err := recipes.Load(tree, recipes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, tg := range tr.Targets {
		for _, s := range tg.Origin.Sources {
			out[s.File] = s.Hash
		}
	}
	return out
}
