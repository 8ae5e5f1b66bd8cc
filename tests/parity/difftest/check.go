package difftest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/stevedore-build/stevedore/recipes/plan"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
	"github.com/stevedore-build/stevedore/tests/parity/recipegen"
)

// treeTimeout bounds every build of one tree.
const treeTimeout = 10 * time.Minute

// Checker builds trees with stevedore and BuildKit.
type Checker struct {
	// Bin is the stevedore binary; RootlessBin a copy the rootless user
	// can run.
	Bin, RootlessBin string
	// Busybox is the host's static busybox (/bin/busybox).
	Busybox string
	Daemon  *buildkitref.Daemon
	// Repro also builds every tree a second time with stevedore (another
	// folder, umask 077, another TZ); Rootless once more as RootlessUser.
	Repro, Rootless bool
	RootlessUser    string
	// NoBuildKit skips the reference builds (shrinking a twin or rootless
	// difference needs stevedore's only); Only restricts the builds to
	// one target and its dependencies.
	NoBuildKit bool
	Only       string
}

// needed returns the entries Only needs, in order (all when Only is "").
func (c *Checker) needed(entries []plan.Entry) []plan.Entry {
	if c.Only == "" {
		return entries
	}
	want := map[string]bool{c.Only: true}
	for i := len(entries) - 1; i >= 0; i-- {
		if want[entries[i].Target] {
			for _, d := range entries[i].Deps {
				want[d] = true
			}
		}
	}
	var out []plan.Entry
	for _, e := range entries {
		if want[e.Target] {
			out = append(out, e)
		}
	}
	return out
}

// Check writes tree into dir (which must not exist) and builds it. The
// BuildKit builds run alongside stevedore's (both pipelines only read the
// tree), which halves the wall time on two cores.
func (c *Checker) Check(ctx context.Context, tree *recipegen.Tree, dir string) *Result {
	// A RUN that blocks (it should not: see recipegen's guards) must not
	// stop the campaign.
	ctx, cancel := context.WithTimeout(ctx, treeTimeout)
	defer cancel()
	res := &Result{}
	_, _, res.Instrs, _ = tree.Size()
	root := filepath.Join(dir, "a")
	if err := tree.Write(root, c.Busybox); err != nil {
		res.Invalid = err
		return res
	}
	defer res.timed("total", time.Now())
	if err := primary.fetch(ctx, c.Bin, root); err != nil {
		res.Invalid = err
		return res
	}
	entries, err := primary.plan(ctx, c.Bin, root)
	if err != nil {
		res.Invalid = err
		return res
	}
	entries = c.needed(entries)
	bk := filepath.Join(dir, "buildkit")
	var bkBuilds, sdBuilds map[string]built
	var extra []TargetResult
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if c.NoBuildKit {
			return
		}
		t0 := time.Now()
		bkBuilds = buildAll(entries, func(e plan.Entry) (string, error) {
			dest := filepath.Join(bk, e.Target)
			if err := c.Daemon.Build(ctx, referenceOptions(root, bk, e, dest)); err != nil {
				return "", err
			}
			return dest, nil
		})
		res.timed("buildkit", t0)
	}()
	sdBuilds = c.stevedoreAll(ctx, primary, c.Bin, root, entries)
	if c.Repro {
		t0 := time.Now()
		extra = append(extra, c.again(ctx, tree, filepath.Join(dir, "twin-build-in-another-folder"), twin, entries, sdBuilds, ReproDiffers)...)
		res.timed("twin", t0)
	}
	if c.Rootless && !tree.UsesDevices() {
		t0 := time.Now()
		v := variant{Umask: "022", TZ: "UTC", User: c.RootlessUser}
		extra = append(extra, c.again(ctx, tree, filepath.Join(dir, "rootless"), v, entries, sdBuilds, RootlessDiffer)...)
		res.timed("rootless", t0)
	}
	wg.Wait()
	kinds := map[string]Kind{}
	for _, e := range entries {
		bkb := bkBuilds[e.Target]
		if c.NoBuildKit {
			bkb = sdBuilds[e.Target] // stevedore is its own reference
		}
		tr := c.compare(ctx, e, bkb, sdBuilds[e.Target])
		for _, d := range e.Deps {
			if k := kinds[d]; k != Same && k != DigestDiffers {
				tr = TargetResult{Target: e.Target, Kind: DepFailed}
			}
		}
		kinds[e.Target] = tr.Kind
		res.Targets = append(res.Targets, tr)
	}
	res.Targets = append(res.Targets, extra...)
	return res
}

// built is one builder's result for one target: its OCI layout or why
// it failed.
type built struct {
	layout string
	err    error
}

// buildAll builds entries in order with build; a target whose dependency
// failed is not built.
func buildAll(entries []plan.Entry, build func(plan.Entry) (string, error)) map[string]built {
	out := map[string]built{}
	for _, e := range entries {
		var b built
		for _, d := range e.Deps {
			if out[d].err != nil {
				b.err = fmt.Errorf("dependency %s failed", d)
			}
		}
		if b.err == nil {
			b.layout, b.err = build(e)
		}
		out[e.Target] = b
	}
	return out
}

// stevedoreAll builds every target of the tree at root with stevedore in
// variant v, one command per target so that a failure names its target.
func (c *Checker) stevedoreAll(ctx context.Context, v variant, bin, root string, entries []plan.Entry) map[string]built {
	return buildAll(entries, func(e plan.Entry) (string, error) {
		if _, err := v.stevedore(ctx, bin, root, "build", "--progress=quiet", e.Target); err != nil {
			return "", err
		}
		return filepath.Join(root, "out", e.Target), nil
	})
}

// compare classifies one target from both builders' results.
func (c *Checker) compare(ctx context.Context, e plan.Entry, bk, sd built) TargetResult {
	tr := TargetResult{Target: e.Target}
	switch {
	case bk.err != nil && sd.err != nil:
		tr.Kind, tr.Detail = BothFailed, sd.err.Error()
		return tr
	case bk.err != nil:
		tr.Kind, tr.Detail = OnlyStevedore, bk.err.Error()
		return tr
	case sd.err != nil:
		tr.Kind, tr.Detail = OnlyBuildKit, sd.err.Error()
		return tr
	}
	tr.BuildKit, tr.Stevedore = digest(bk.layout), digest(sd.layout)
	tr.Kind = Same
	if tr.BuildKit != tr.Stevedore {
		tr.Kind = DigestDiffers
		tr.Detail = c.diff(ctx, bk.layout, sd.layout)
	}
	return tr
}

// again builds the tree once more with stevedore in variant v and returns
// a result of the given kind for every target whose digest (or success)
// differs from the primary build's.
func (c *Checker) again(ctx context.Context, tree *recipegen.Tree, root string, v variant, entries []plan.Entry, first map[string]built, kind Kind) []TargetResult {
	bin := c.Bin
	if v.User != "" {
		bin = c.RootlessBin
	}
	fail := func(err error) []TargetResult {
		return []TargetResult{{Target: "(all)", Kind: kind, Detail: err.Error()}}
	}
	if err := tree.Write(root, c.Busybox); err != nil {
		return fail(err)
	}
	if v.User != "" {
		v.Tmp = filepath.Join(filepath.Dir(root), "rootless-tmp")
		if err := os.MkdirAll(v.Tmp, 0o700); err != nil {
			return fail(err)
		}
		if out, err := exec.Command("chown", "-R", v.User+":", root, v.Tmp).CombinedOutput(); err != nil {
			return fail(fmt.Errorf("chown: %v: %s", err, out))
		}
		// chown cleared the setuid and setgid bits: write the files again
		// (they keep their new owner).
		if err := tree.Write(root, c.Busybox); err != nil {
			return fail(err)
		}
		// Files under .stevedore belong to the user's subordinate ids.
		defer v.stevedore(ctx, bin, root, "clean", "--all")
	}
	if err := v.fetch(ctx, bin, root); err != nil {
		return fail(err)
	}
	var out []TargetResult
	for _, e := range entries {
		a := first[e.Target]
		if a.err != nil {
			continue
		}
		if _, err := v.stevedore(ctx, bin, root, "build", "--progress=quiet", e.Target); err != nil {
			out = append(out, TargetResult{Target: e.Target, Kind: kind, BuildKit: digest(a.layout), Detail: err.Error()})
			continue
		}
		layout := filepath.Join(root, "out", e.Target)
		if want, got := digest(a.layout), digest(layout); got != want {
			// BuildKit here is the primary stevedore build.
			tr := TargetResult{Target: e.Target, Kind: kind, BuildKit: want, Stevedore: got, Detail: c.diff(ctx, a.layout, layout)}
			if kind == RootlessDiffer && onlySuidCleared(tr.Detail) {
				tr.Kind = SuidCleared
			}
			out = append(out, tr)
		}
	}
	return out
}

// diff is stevedore diff's explanation of a (reference) and b.
func (c *Checker) diff(ctx context.Context, a, b string) string {
	out, _ := exec.CommandContext(ctx, c.Bin, "diff", a, b).CombinedOutput()
	return strings.TrimSpace(string(out))
}

// digest is the manifest digest StageX records for a layout.
func digest(layout string) string {
	h, err := buildkitref.ManifestDigest(layout)
	if err != nil {
		return "error: " + err.Error()
	}
	return h.String()
}

// referenceOptions is StageX's docker build of a planned target, as
// buildctl options: BuildKit sees the dependencies it built itself.
func referenceOptions(root, bk string, e plan.Entry, dest string) buildkitref.BuildOptions {
	fetchDir := filepath.Join(root, e.FetchDir)
	os.MkdirAll(fetchDir, 0o755)
	// As the tree parity suite: without BUILDKIT_DOCKERFILE_CHECK, whose
	// lint checks stevedore does not run (a known gap, see the README).
	args := buildkitref.ExtraBuildArgs(e.BuildArgs)
	deps := map[string]string{}
	for _, d := range e.Deps {
		deps[d] = filepath.Join(bk, d)
	}
	platform := "linux/amd64"
	if len(e.Platforms) > 0 {
		platform = e.Platforms[0]
	}
	ctxDir := filepath.Dir(e.Containerfile)
	if !filepath.IsAbs(ctxDir) {
		ctxDir = filepath.Join(root, ctxDir)
	}
	return buildkitref.BuildOptions{
		Context: ctxDir, Fetch: fetchDir, Platform: platform, BuildArgs: args,
		Target: e.StageTarget, Deps: deps, Name: e.Target, Version: e.Version, Dest: dest,
	}
}
