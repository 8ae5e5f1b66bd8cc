package difftest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/stevedore-build/stevedore/recipes/plan"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
	"github.com/stevedore-build/stevedore/tests/parity/recipegen"
)

// Kind classifies the outcome of one target.
type Kind string

const (
	Same           Kind = "same"             // equal manifest digests
	DigestDiffers  Kind = "digest-differs"   // both built, digests differ
	OnlyBuildKit   Kind = "stevedore-failed" // BuildKit built it, stevedore failed
	OnlyStevedore  Kind = "buildkit-failed"  // stevedore built it, BuildKit failed
	BothFailed     Kind = "both-failed"      // a wasted target
	DepFailed      Kind = "dep-failed"       // not built: a dependency failed
	ReproDiffers   Kind = "repro-differs"    // stevedore's twin build differs
	RootlessDiffer Kind = "rootless-differs" // stevedore's rootless build differs
)

// Bug reports whether k is a difference to report.
func (k Kind) Bug() bool {
	switch k {
	case DigestDiffers, OnlyBuildKit, OnlyStevedore, ReproDiffers, RootlessDiffer:
		return true
	}
	return false
}

// TargetResult is the outcome of one target.
type TargetResult struct {
	Target string
	Kind   Kind
	// BuildKit and Stevedore are the manifest digests ("" when failed).
	BuildKit, Stevedore string
	// Detail is the failing build's error or stevedore diff's output.
	Detail string
}

// Result is the outcome of one tree.
type Result struct {
	Targets []TargetResult
	// Invalid is set when the tree could not be fetched or planned: a
	// generator or harness bug, not a builder difference.
	Invalid error
	// Instrs counts the tree's instructions (for the campaign's totals).
	Instrs int
}

// First returns the first target with a difference, or nil.
func (r *Result) First() *TargetResult {
	for i := range r.Targets {
		if r.Targets[i].Kind.Bug() {
			return &r.Targets[i]
		}
	}
	return nil
}

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
}

// Check writes tree into dir (which must not exist) and builds it.
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
	if err := primary.fetch(ctx, c.Bin, root); err != nil {
		res.Invalid = err
		return res
	}
	entries, err := primary.plan(ctx, c.Bin, root)
	if err != nil {
		res.Invalid = err
		return res
	}
	bk := filepath.Join(dir, "buildkit")
	failed := map[string]bool{}
	for _, e := range entries {
		tr := c.target(ctx, root, bk, e, failed)
		if tr.Kind != Same && tr.Kind != DigestDiffers {
			failed[e.Target] = true
		}
		res.Targets = append(res.Targets, tr)
	}
	if c.Repro {
		c.again(ctx, tree, filepath.Join(dir, "twin-build-in-another-folder"), twin, ReproDiffers, res)
	}
	if c.Rootless && !tree.UsesDevices() {
		c.again(ctx, tree, filepath.Join(dir, "rootless"), variant{Umask: "022", TZ: "UTC", User: c.RootlessUser}, RootlessDiffer, res)
	}
	return res
}

// target builds one planned target with both builders and compares.
func (c *Checker) target(ctx context.Context, root, bk string, e plan.Entry, failed map[string]bool) TargetResult {
	tr := TargetResult{Target: e.Target}
	for _, d := range e.Deps {
		if failed[d] {
			tr.Kind = DepFailed
			return tr
		}
	}
	dest := filepath.Join(bk, e.Target)
	bkErr := c.Daemon.Build(ctx, referenceOptions(root, bk, e, dest))
	_, sdErr := primary.stevedore(ctx, c.Bin, root, "build", "--progress=quiet", e.Target)
	switch {
	case bkErr != nil && sdErr != nil:
		tr.Kind, tr.Detail = BothFailed, sdErr.Error()
		return tr
	case bkErr != nil:
		tr.Kind, tr.Detail = OnlyStevedore, bkErr.Error()
		return tr
	case sdErr != nil:
		tr.Kind, tr.Detail = OnlyBuildKit, sdErr.Error()
		return tr
	}
	out := filepath.Join(root, "out", e.Target)
	tr.BuildKit, tr.Stevedore = digest(dest), digest(out)
	tr.Kind = Same
	if tr.BuildKit != tr.Stevedore {
		tr.Kind = DigestDiffers
		tr.Detail = c.diff(ctx, dest, out)
	}
	return tr
}

// again builds the tree once more with stevedore in variant v and marks
// every target whose digest differs from the primary build as kind.
func (c *Checker) again(ctx context.Context, tree *recipegen.Tree, root string, v variant, kind Kind, res *Result) {
	bin := c.Bin
	if v.User != "" {
		bin = c.RootlessBin
	}
	fail := func(err error) {
		res.Targets = append(res.Targets, TargetResult{Target: "(all)", Kind: kind, Detail: err.Error()})
	}
	if err := tree.Write(root, c.Busybox); err != nil {
		fail(err)
		return
	}
	if v.User != "" {
		if out, err := exec.Command("chown", "-R", v.User+":", root).CombinedOutput(); err != nil {
			fail(fmt.Errorf("chown: %v: %s", err, out))
			return
		}
	}
	if err := v.fetch(ctx, bin, root); err != nil {
		fail(err)
		return
	}
	for i := range res.Targets {
		tr := &res.Targets[i]
		if tr.Kind != Same && tr.Kind != DigestDiffers {
			continue
		}
		name := tr.Target
		_, err := v.stevedore(ctx, bin, root, "build", "--progress=quiet", name)
		if err != nil {
			res.Targets = append(res.Targets, TargetResult{Target: name, Kind: kind, Stevedore: tr.Stevedore, Detail: err.Error()})
			continue
		}
		out := filepath.Join(root, "out", name)
		if got := digest(out); got != tr.Stevedore {
			res.Targets = append(res.Targets, TargetResult{Target: name, Kind: kind, BuildKit: tr.Stevedore, Stevedore: got,
				Detail: c.diff(ctx, filepath.Join(filepath.Dir(filepath.Dir(root)), "a", "out", name), out)})
		}
	}
	if v.User != "" {
		// Files under .stevedore belong to the user's subordinate ids.
		v.stevedore(ctx, bin, root, "clean", "--all")
	}
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
	args := map[string]string{}
	for k, v := range e.BuildArgs {
		if k != "SOURCE_DATE_EPOCH" && k != "BUILDKIT_MULTI_PLATFORM" {
			args[k] = v
		}
	}
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
