package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"
	fscopy "github.com/tonistiigi/fsutil/copy"

	"github.com/stevedore-build/stevedore/assemble"
	"github.com/stevedore-build/stevedore/build"
	"github.com/stevedore-build/stevedore/exchange/bundle"
	"github.com/stevedore-build/stevedore/imagestore"
	"github.com/stevedore-build/stevedore/internal/lock"
	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/sandbox"
)

type buildOptions struct {
	Platform string
	Progress string
	WorkDir  string
	StateDir string
	NoCache  bool
	Bundle   string
	// BundleKeyring and BundleQuorum: unbundle --keyring/--quorum.
	BundleKeyring string
	BundleQuorum  int
	// NetworkForFetchSteps gives RUNs without --network=none outbound
	// network access (StageX's cargo fetch / go mod download steps).
	NetworkForFetchSteps bool
	// Jobs bounds how many targets build at once.
	Jobs int
	// Image references (FROM alpine:3.20): see imagestore.
	Offline      bool
	ImageSources []string
	UpdateLock   bool
	Insecure     []string
	// Limits of every RUN (assemble.RunLimits).
	PidsLimit    int64
	RunLogLimit  sizeFlag
	MinFreeSpace sizeFlag
	// File mode: docker buildx build's flags (see buildfile.go).
	File         string
	BuildArgs    []string
	BuildContext []string
	Target       string
	Tags         []string
	Outputs      []string
	Verify       string
	CacheDir     string
}

// Defaults of the RUN limits.
const (
	defaultRunLogLimit  = 32 << 20
	defaultMinFreeSpace = 512 << 20
)

// newBuildOptions returns build's defaults (verify --rebuild uses them).
func newBuildOptions() *buildOptions {
	return &buildOptions{
		Platform:     recipes.DefaultPlatform,
		Progress:     "auto",
		Jobs:         1,
		BundleQuorum: 1,
		PidsLimit:    sandbox.DefaultPidsLimit,
		RunLogLimit:  defaultRunLogLimit,
		MinFreeSpace: defaultMinFreeSpace,
	}
}

func init() { register(newBuildCmd) }

func newBuildCmd(g *globalOptions) *cobra.Command {
	o := newBuildOptions()
	cmd := &cobra.Command{
		Use:   "build [TARGET...] | build [-f FILE] [flags] CONTEXT",
		Short: "Build targets and their dependencies into out/<stage>-<name>/",
		Long: `build executes each selected target's Containerfile (and those of everything it
depends on, in order) and writes out/<stage>-<name>/, an OCI image layout whose
manifest digest equals what BuildKit writes for the same recipe with StageX's
flags. Sources must have been fetched (stevedore fetch); they are re-verified.
Every RUN runs in an embedded sandbox without network. Each step and its
output is printed prefixed with the target's name (--progress=plain) and kept
in full in .stevedore/logs/<target>.log under the tree.

With -f FILE, or a CONTEXT argument that is a path (".", "./app", "/src"),
build runs one Containerfile outside a package tree, as docker buildx build
does: the flags --build-arg, --build-context, --target, --platform, --tag,
--output, --no-cache and --progress have buildx's names and meaning, and
SOURCE_DATE_EPOCH (environment or --build-arg) is required: the output is
BuildKit's with rewrite-timestamp=true. --verify sha256:... checks the
result's manifest digest.`,
		Example: `  stevedore build core-zlib
  stevedore build --bundle /media/usb/core-zlib.bundle core-zlib   # air-gapped
  stevedore --tree examples build && stevedore --tree examples verify
  SOURCE_DATE_EPOCH=1 stevedore build -f Containerfile --output type=oci,rewrite-timestamp=true,dest=app.tar .`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if fileMode(cmd, args) {
				return runBuildFile(cmd, o, args)
			}
			return runBuild(cmd, g, o, args)
		},
	}
	f := cmd.Flags()
	addFileFlags(f, o)
	f.StringVar(&o.Platform, "platform", recipes.DefaultPlatform, "platform of packages that set none")
	f.StringVar(&o.Progress, "progress", "auto", "progress output: auto (tty on a terminal, else plain), plain, tty or quiet")
	f.StringVar(&o.WorkDir, "work-dir", "", "scratch space for layers (default <tree>/.stevedore/work)")
	f.IntVar(&o.Jobs, "jobs", 1, "targets built at once when their dependencies are ready (results are the same)")
	f.BoolVar(&o.NetworkForFetchSteps, "network-for-fetch-steps", false, "give RUN instructions without --network=none outbound network access through slirp4netns, in a network namespace of their own (fetch steps); their layers are recorded for bundles")
	f.StringVar(&o.Bundle, "bundle", "", "verify and unpack this bundle (stevedore bundle) first: an air-gapped build")
	f.StringVar(&o.BundleKeyring, "bundle-keyring", "", "with --bundle: require signatures by keys of this file or folder (unbundle --keyring)")
	f.IntVar(&o.BundleQuorum, "bundle-quorum", 1, "with --bundle-keyring: distinct keys that must have signed the bundle")
	f.BoolVar(&o.NoCache, "no-cache", false, "rebuild every target even when out/ holds its image built from the same inputs")
	f.BoolVar(&o.Offline, "offline", false, "resolve image references only from the pins in stevedore.lock, the image store and --image-source; never a registry")
	f.StringArrayVar(&o.ImageSources, "image-source", nil, "look up image references here first, in order (DIR, oci:DIR, oci-archive:FILE, docker-archive:FILE; repeatable); registries come last")
	f.BoolVar(&o.UpdateLock, "update-lock", false, "re-resolve tags pinned in stevedore.lock and rewrite their pins")
	f.StringArrayVar(&o.Insecure, "insecure-registry", nil, "reach this registry HOST[:PORT] over plain HTTP (repeatable)")
	f.StringVar(&o.StateDir, "state-dir", "", "sandbox state directory (default $STEVEDORE_STATE_DIR or "+defaultStateDir+")")
	f.Int64Var(&o.PidsLimit, "pids-limit", o.PidsLimit, "most processes and threads one RUN may have at once (cgroup pids controller; -1: no limit; rootless builds have none)")
	f.Var(&o.RunLogLimit, "run-log-limit", "output of one RUN kept in the log and progress, e.g. 32M (0: all); the rest is dropped with a note")
	f.Var(&o.MinFreeSpace, "min-free-space", "stop a RUN when the work directory's filesystem has less than this free, e.g. 512M (0: never)")
	return cmd
}

func runBuild(cmd *cobra.Command, g *globalOptions, o *buildOptions, args []string) error {
	if rootless() {
		return reexecRootless(cmd)
	}
	if again, err := reexecPrivateMounts(cmd); again {
		return err
	}
	progress, done, err := progressWriter(cmd, o.Progress)
	if err != nil {
		return err
	}
	defer done()
	builderUmask()
	if o.Bundle != "" {
		trust, err := bundleTrust(cmd, o.BundleKeyring, o.BundleQuorum)
		if err != nil {
			return err
		}
		if err := unbundle(cmd, g, o.Bundle, o.Platform, trust); err != nil {
			return err
		}
	}
	t, ordered, err := loadPlan(cmd.ErrOrStderr(), g, o.Platform, args)
	if err != nil {
		return err
	}
	tl, err := lockTree(cmd, t.Root, lock.Shared)
	if err != nil {
		return err
	}
	defer tl.Release()
	b, cacheDir, err := newBuilder(t.Root, o)
	if err != nil {
		return err
	}
	images, err := newImageResolver(t.Root, o)
	if err != nil {
		return err
	}
	defer images.Close()
	return build.Build(cmd.Context(), t, ordered, build.Options{
		Images:               images,
		CacheDir:             cacheDir,
		LogDir:               filepath.Join(t.Root, ".stevedore", "logs"),
		Builder:              b,
		Platform:             o.Platform,
		Ulimits:              build.StageXUlimits,
		Progress:             progress,
		NetworkForFetchSteps: o.NetworkForFetchSteps,
		Jobs:                 o.Jobs,
	})
}

// progressWriter picks the progress display: a live view on a terminal
// (auto or tty), prefixed lines (plain) or nothing (quiet).
func progressWriter(cmd *cobra.Command, mode string) (io.Writer, func(), error) {
	w := cmd.ErrOrStderr()
	if mode == "auto" {
		mode = "plain"
		if f, ok := w.(*os.File); ok && isTerminal(f) {
			mode = "tty"
		}
	}
	switch mode {
	case "plain":
		return w, func() {}, nil
	case "tty":
		live := newTTYProgress(w)
		return live, func() { live.Close() }, nil
	case "quiet":
		return nil, func() {}, nil
	}
	return nil, nil, usageErrorf("--progress=%s: want auto, plain, tty or quiet", mode)
}

// newBuilder sets up the executor: work directory, sandbox and, unless
// --no-cache, the layer cache and fetch-step records; it returns the
// target cache directory ("" without cache).
func newBuilder(root string, o *buildOptions) (*assemble.Builder, string, error) {
	work := o.WorkDir
	if work == "" {
		work = filepath.Join(root, ".stevedore", "work")
	}
	if err := os.MkdirAll(work, 0o700); err != nil {
		return nil, "", fmt.Errorf("create work dir: %w", err)
	}
	// What builds that died left (their scratch dirs are unlocked) goes
	// first; a failure to sweep does not stop this build.
	if err := build.SweepWork(work); err != nil {
		fmt.Fprintf(os.Stderr, "stevedore: warning: %v (stevedore clean removes it)\n", err)
	}
	cfg := sandbox.LibcontainerConfig{StateDir: sandboxStateDir(o.StateDir)}
	if o.NetworkForFetchSteps {
		slirp, err := exec.LookPath("slirp4netns")
		if err != nil {
			return nil, "", fmt.Errorf("--network-for-fetch-steps needs slirp4netns, which gives fetch steps outbound access from a network namespace of their own (apt-get install slirp4netns)")
		}
		cfg.Network = sandbox.NetworkHelpers{Slirp4netns: slirp}
	}
	runner, err := sandbox.NewLibcontainer(cfg)
	if err != nil {
		return nil, "", err
	}
	b := &assemble.Builder{Runner: runner, WorkDir: work, Layers: assemble.OverlayLayers{}, Limits: assemble.RunLimits{
		PidsLimit: o.PidsLimit, LogBytes: int64(o.RunLogLimit), MinFreeBytes: int64(o.MinFreeSpace),
	}, CacheMounts: filepath.Join(work, "..", "cache", "mounts")}
	if o.NoCache {
		return b, "", nil
	}
	// The layer cache sits next to the work directory: publishing an entry
	// renames a layer directory into it.
	b.Cache = &assemble.LayerCache{Dir: filepath.Join(work, "..", "cache", "layers")}
	if err := b.Cache.Sweep(); err != nil {
		fmt.Fprintf(os.Stderr, "stevedore: warning: %v (stevedore clean removes it)\n", err)
	}
	b.FetchSteps = filepath.Join(root, filepath.FromSlash(bundle.FetchStepsDir))
	b.FetchStepPins = filepath.Join(root, assemble.FetchStepPinsFile)
	return b, filepath.Join(root, ".stevedore", "cache"), nil
}

// newImageResolver wires the image sources: --image-source in order, then
// registries (with credentials from the containers/Docker auth files)
// unless --offline.
func newImageResolver(root string, o *buildOptions) (*imagestore.Resolver, error) {
	return newImageResolverAt(filepath.Join(root, ".stevedore", "images"), filepath.Join(root, "stevedore.lock"), o)
}

// newImageResolverAt is newImageResolver with the store and lock file named.
func newImageResolverAt(store, lock string, o *buildOptions) (*imagestore.Resolver, error) {
	var srcs []imagestore.Source
	for _, s := range o.ImageSources {
		src, err := imagestore.ParseSource(s)
		if err != nil {
			return nil, usageErrorf("--image-source: %v", err)
		}
		srcs = append(srcs, src)
	}
	if !o.Offline {
		srcs = append(srcs, &imagestore.Registry{Keychain: authn.DefaultKeychain})
	}
	return imagestore.New(imagestore.Options{
		Sources: srcs, Offline: o.Offline, UpdateLock: o.UpdateLock, Insecure: o.Insecure,
		StoreDir: store,
		LockFile: lock,
	})
}

// builderUmask gives the build buildkitd's file-creation rules (its
// main_unix.go): umask 0, and fsutil's MkdirAll told so, which then keeps
// what mkdir(2) gives a new directory instead of chmod-ing it to the
// requested mode. The difference is the setgid bit a directory inherits
// from a setgid parent: WORKDIR, COPY and ADD create directories with it
// in BuildKit, and a chmod clears it (campaign seed 11499). So files made
// without an explicit mode do not depend on the caller's umask either.
// RUN steps still start with umask 0022: libcontainer's init sets it.
func builderUmask() {
	syscall.Umask(0)
	fscopy.UmaskIsZero = true
}
