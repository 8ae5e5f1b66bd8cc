package build

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble"
	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/internal/lock"
	"github.com/stevedore-build/stevedore/internal/verified"
	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
	"github.com/stevedore-build/stevedore/recipes/fetch"
	"github.com/stevedore-build/stevedore/recipes/sources"
	"github.com/stevedore-build/stevedore/sandbox"
)

// Options are the explicit inputs of building a tree.
type Options struct {
	// Builder executes Containerfiles.
	Builder *assemble.Builder
	// Platform is used for targets without platforms of their own.
	Platform string
	// Ulimits apply to every RUN (StageX: nofile=2048:16384).
	Ulimits []sandbox.Rlimit
	// NetworkForFetchSteps gives RUNs without --network=none outbound
	// network access (never the host's network namespace).
	NetworkForFetchSteps bool
	// Jobs bounds how many targets build at once (<= 1: one at a time).
	Jobs int
	// Progress receives one line per target and step; nil is silent.
	Progress io.Writer
	// LogDir keeps the full log of each target (<target>.log); "" keeps none.
	LogDir string
	// CacheDir records what each target in out/ was built from, so that an
	// unchanged target is not rebuilt; "" disables the cache.
	CacheDir string
	// checkOnly stops a target that is not cached with errNotCached
	// before anything is built, and one whose sources are not all trusted
	// (see verifySources) before they are read (see ahead.go).
	checkOnly bool
	// Images resolves image references other than stagex/<target> (FROM
	// alpine:3.20) to OCI layouts; nil refuses them.
	Images ImageResolver
}

// ImageResolver turns a target's image references into OCI layout
// directories, name -> dir, for the target platform and the FROM
// --platform values they are used with (see imagestore).
type ImageResolver interface {
	ResolveRefs(ctx context.Context, refs []containerfile.Ref, target ocispec.Platform) (map[string]string, error)
}

// StageXUlimits are the limits StageX passes to every build.
var StageXUlimits = []sandbox.Rlimit{{Name: "nofile", Soft: 2048, Hard: 16384}}

// Build builds ordered targets (each after its dependencies) into
// <tree>/out/<target>/. With Jobs > 1, targets whose dependencies are built
// run side by side; every target's bytes are the same either way.
func Build(ctx context.Context, t *recipes.Tree, ordered []*recipes.Target, o Options) error {
	if o.Jobs > 1 {
		return buildParallel(ctx, t, ordered, o)
	}
	if o.CacheDir != "" {
		return buildInOrderCheckingAhead(ctx, t, ordered, o)
	}
	for i, tg := range ordered {
		if err := buildOne(ctx, t, tg, o, i+1, len(ordered)); err != nil {
			return err
		}
	}
	return nil
}

func buildOne(ctx context.Context, t *recipes.Tree, tg *recipes.Target, o Options, n, total int) error {
	progress(o.Progress, "[%d/%d] %s", n, total, tg.Name)
	start := time.Now()
	if err := buildTarget(ctx, t, tg, o); err != nil {
		return fmt.Errorf("build %s: %w", tg.Name, err)
	}
	progress(o.Progress, "[%d/%d] %s done in %s", n, total, tg.Name, time.Since(start).Round(time.Millisecond))
	return nil
}

func buildTarget(ctx context.Context, t *recipes.Tree, tg *recipes.Target, o Options) (err error) {
	logf, err := openLog(ctx, o.LogDir, tg.Name, o.Progress)
	if err != nil {
		return err
	}
	defer logf.Close()
	// Read under the log's lock: another build of this target is done.
	cache := cacheRecord{dir: o.CacheDir}
	rec := cache.read(tg.Name)
	at, known, items, verifiedAt, err := prepare(ctx, t, tg, o, rec)
	if err != nil {
		return err
	}
	at.Log = targetLog(logf, o.Progress, tg.Name)
	out := filepath.Join(t.Root, "out", tg.Name)
	pl := at.Platform
	key := ""
	if o.CacheDir != "" {
		if key, err = targetKey(at, known, items); err != nil {
			return err
		}
		if ok, stamps := cache.hit(rec, key, out, pl); ok {
			progress(o.Progress, "%s cached", tg.Name)
			now := &cacheEntry{key: key, digest: rec.digest, out: stamps, sources: sourceStates(items, verifiedAt)}
			if stamps == nil || now.same(rec) {
				return nil
			}
			// Verified in full: later builds trust this state.
			return cache.store(tg.Name, now)
		}
	}
	if o.checkOnly {
		return errNotCached
	}
	digest, err := buildImage(ctx, tg, o, at, items, out)
	if err != nil {
		return err
	}
	progress(o.Progress, "%s sha256:%s", tg.Name, digest.Hex)
	if key == "" {
		return nil
	}
	stamps, err := verified.StampTree(out)
	if err != nil {
		return err
	}
	return cache.store(tg.Name, &cacheEntry{key: key, digest: digest.String(), out: stamps, sources: sourceStates(items, verifiedAt)})
}

// buildImage builds at, with a fetch context of items, into the layout out.
func buildImage(ctx context.Context, tg *recipes.Target, o Options, at assemble.Target, items []fetch.Item, out string) (v1.Hash, error) {
	fetchDir, err := fetchContext(o.Builder.WorkDir, items)
	if err != nil {
		return v1.Hash{}, err
	}
	defer fetchDir.Remove()
	at.Contexts = map[string]string{"fetch": fetchDir.Path}
	img, err := o.Builder.Build(ctx, at)
	if err != nil {
		return v1.Hash{}, err
	}
	defer img.Close()
	in := image.Input{Config: img.Config, Base: img.Base, Platform: img.Platform}
	for _, l := range img.Layers {
		in.Layers = append(in.Layers, image.Layer{Path: l.Blob.Path, Blob: l.Blob.Blob, New: !l.FromBase})
	}
	assembled, err := image.Assemble(in, image.StageXExport(at.Epoch, tg.Name, tg.Version))
	if err != nil {
		return v1.Hash{}, err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return v1.Hash{}, err
	}
	if err := image.WriteLayout(out, assembled); err != nil {
		return v1.Hash{}, err
	}
	return assembled.ManifestDigest, nil
}

// prepare verifies the target's sources and builds its assemble.Target,
// whose "fetch" context buildImage makes of the returned items. A source
// whose stamp is the one rec recorded it verified with is trusted, not
// hashed again; verifiedAt is each source's stamp when it was verified
// (missing: it changed while being verified).
func prepare(ctx context.Context, t *recipes.Tree, tg *recipes.Target, o Options, rec *cacheEntry) (at assemble.Target, known assemble.Known, items []fetch.Item, verifiedAt map[string]verified.Stamp, err error) {
	plat := o.Platform
	if len(tg.Platforms) > 1 {
		return at, nil, nil, nil, fmt.Errorf("%s sets %d platforms; multi-platform builds are not supported yet", tg.Origin.TOMLPath, len(tg.Platforms))
	}
	if len(tg.Platforms) == 1 {
		plat = tg.Platforms[0]
	}
	p, err := oci.ParsePlatform(plat)
	if err != nil {
		return at, nil, nil, nil, err
	}
	epoch, err := strconv.ParseInt(tg.BuildArgs["SOURCE_DATE_EPOCH"], 10, 64)
	if err != nil {
		return at, nil, nil, nil, fmt.Errorf("SOURCE_DATE_EPOCH %q: %w", tg.BuildArgs["SOURCE_DATE_EPOCH"], err)
	}
	items = sources.Items(t, []*recipes.Target{tg})
	if o.checkOnly && !allTrusted(items, rec) {
		return at, nil, nil, nil, errNotCached
	}
	if verifiedAt, err = verifySources(ctx, items, rec); err != nil {
		return at, nil, nil, nil, fmt.Errorf("sources of %s are not all present and verified (run stevedore fetch first): %w", tg.Name, err)
	}
	if err := sources.Link(t, []*recipes.Target{tg}); err != nil {
		return at, nil, nil, nil, err
	}
	if known, err = verifiedFiles(items); err != nil {
		return at, nil, nil, nil, err
	}
	images := map[string]string{}
	for _, dep := range tg.Deps {
		images["stagex/"+dep] = filepath.Join(t.Root, "out", dep)
	}
	if len(tg.ImageRefs) > 0 {
		if o.Images == nil {
			return at, nil, nil, nil, fmt.Errorf("%s uses image references (%s) but no image resolver is configured", tg.Name, tg.ImageRefs[0].Name)
		}
		resolved, err := o.Images.ResolveRefs(ctx, tg.ImageRefs, p)
		if err != nil {
			return at, nil, nil, nil, err
		}
		maps.Copy(images, resolved)
	}
	return assemble.Target{
		Name:                 tg.Name,
		Version:              tg.Version,
		Containerfile:        filepath.Join(tg.Origin.Dir, "Containerfile"),
		File:                 tg.Origin.Containerfile,
		ContextDir:           tg.Origin.Dir,
		Images:               images,
		StageTarget:          tg.StageTarget,
		Platform:             p,
		BuildArgs:            tg.BuildArgs,
		Epoch:                time.Unix(epoch, 0).UTC(),
		Ulimits:              o.Ulimits,
		NetworkForFetchSteps: o.NetworkForFetchSteps,
	}, known, items, verifiedAt, nil
}

// verifySources checks that every item's file is present with its
// SHA-256: trusted when rec recorded it verified with its current stamp,
// hashed (fetch.Fetch offline) otherwise. It returns the stamp each file
// had around its verification; one that changed meanwhile has none.
func verifySources(ctx context.Context, items []fetch.Item, rec *cacheEntry) (map[string]verified.Stamp, error) {
	at := map[string]verified.Stamp{}
	var check []fetch.Item
	for _, it := range items {
		if s, ok := rec.trusted(it.Path(), it.SHA256); ok {
			at[it.Path()] = s
		} else {
			check = append(check, it)
		}
	}
	if len(check) == 0 {
		return at, nil
	}
	before := map[string]verified.Stamp{}
	for _, it := range check {
		if s, err := verified.Lstat(it.Path()); err == nil {
			before[it.Path()] = s
		}
	}
	if err := fetch.Fetch(ctx, check, fetch.Options{Offline: true}); err != nil {
		return nil, err
	}
	for _, it := range check {
		s, err := verified.Lstat(it.Path())
		if b, ok := before[it.Path()]; ok && err == nil && s == b {
			at[it.Path()] = s
		}
	}
	return at, nil
}

// allTrusted reports whether rec trusts every item's file (verifySources
// would read none).
func allTrusted(items []fetch.Item, rec *cacheEntry) bool {
	for _, it := range items {
		if _, ok := rec.trusted(it.Path(), it.SHA256); !ok {
			return false
		}
	}
	return true
}

// sourceStates is the state of items to record: each file's stamp now,
// when its content is the one verified at verifiedAt (a build's links to
// it move only its ctime).
func sourceStates(items []fetch.Item, verifiedAt map[string]verified.Stamp) map[string]sourceState {
	states := map[string]sourceState{}
	for _, it := range items {
		was, ok := verifiedAt[it.Path()]
		if !ok {
			continue
		}
		if now, err := verified.Lstat(it.Path()); err == nil && now.SameContent(was) {
			states[it.Path()] = sourceState{sum: it.SHA256, stamp: now}
		}
	}
	return states
}

// FetchPrefix names the fetch contexts in a work dir (see SweepWork).
const FetchPrefix = "fetch-"

// fetchContext makes a directory holding exactly the target's verified
// source files (hard links), so stale files of older versions in fetch/
// never reach an image through COPY --from=fetch. It is locked while in
// use, so that a later build sweeps it if this process dies.
func fetchContext(workDir string, items []fetch.Item) (*lock.Dir, error) {
	if err := os.MkdirAll(workDir, 0o700); err != nil {
		return nil, err
	}
	dir, err := lock.MkdirTemp(workDir, FetchPrefix)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir.Path, 0o755); err != nil {
		dir.Remove()
		return nil, err
	}
	for _, it := range items {
		dst := filepath.Join(dir.Path, it.File)
		if err := os.Link(it.Path(), dst); err != nil {
			dir.Remove()
			return nil, fmt.Errorf("prepare fetch context: %w", err)
		}
	}
	return dir, nil
}

// SweepWork removes what builds that died left in workDir: their scratch
// and fetch-context directories, with any mount under them.
func SweepWork(workDir string) error {
	return assemble.SweepWork(workDir, FetchPrefix)
}

func progress(w io.Writer, format string, a ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", a...)
	}
}

// verifiedFiles maps the sources just verified to their SHA-256, for the
// cache key (their links in the contexts share the inodes).
func verifiedFiles(items []fetch.Item) (assemble.Known, error) {
	paths := make([]string, len(items))
	sums := make([]string, len(items))
	for i, it := range items {
		paths[i], sums[i] = it.Path(), it.SHA256
	}
	return assemble.KnownFiles(paths, sums)
}
