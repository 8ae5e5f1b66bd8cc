package assemble

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/internal/lock"
	"github.com/stevedore-build/stevedore/layers"
	"github.com/stevedore-build/stevedore/sandbox"
)

// Builder executes Containerfile stages into images. It is safe to run
// several Builds at once with one Builder.
type Builder struct {
	// Runner runs RUN steps.
	Runner sandbox.Runner
	// WorkDir holds layer directories, mounts and blobs while building; it
	// must be on a filesystem that supports overlayfs upper dirs.
	WorkDir string
	// Layers commits upper directories into blobs and unpacks base layers.
	Layers LayerStore
	// Cache, when set, reuses the result of every layer-producing
	// instruction whose inputs did not change. It must be on WorkDir's
	// filesystem.
	Cache *LayerCache
	// FetchSteps, when set, records the layer of every RUN that had the
	// network (as <key>.tar.gz and <key>.json), and supplies recorded
	// layers to builds that lack the network, so that a bundle can carry
	// them across an air gap.
	FetchSteps string
	// FetchStepPins, when set, is the pins file (FetchStepPinsFile, next to
	// the recipes): a recorded fetch step's layer is pinned there by
	// digest, and a recorded layer is reused without the network only when
	// its pin matches, so that the record (or the bundle that carried it)
	// is never trusted on its own metadata.
	FetchStepPins string
	// Limits bound what one RUN may take of the host.
	Limits RunLimits
	// CacheMounts holds the directories of RUN --mount=type=cache, which
	// persist between builds; "" refuses cache mounts.
	CacheMounts string
}

// RunLimits bound one RUN step. Zero fields mean no bound, except
// PidsLimit, whose zero is the sandbox's default.
type RunLimits struct {
	// PidsLimit bounds the RUN's processes and threads (sandbox.Spec).
	PidsLimit int64
	// LogBytes bounds the output of one RUN kept in the log and shown as
	// progress; the rest is dropped with one line saying so (the process
	// runs on and its result is unchanged).
	LogBytes int64
	// MinFreeBytes stops a RUN when the filesystem of the work directory
	// has less than this free, before it fills the disk.
	MinFreeBytes int64
}

// LayerStore is what the executor needs from the layers package.
type LayerStore interface {
	// Commit writes the layer of upper (an overlay upper dir over lowers)
	// as a gzip blob in blobDir.
	Commit(ctx context.Context, lowers []string, upper, blobDir string, epoch time.Time) (Blob, error)
	// Unpack extracts a blob into the new overlay-format directory dir
	// (which must not exist) above lowers (bottom first), verifying its
	// digests.
	Unpack(ctx context.Context, blob Blob, lowers []string, dir string) error
}

// Built is an image the executor has built but not yet assembled (see
// image.Assemble), ready to be written as an OCI layout. Its layer
// files live in the build's work directory until Close.
type Built struct {
	// Config is the image config as BuildKit's Dockerfile frontend makes it
	// (history included, rootfs and created not yet filled in).
	Config dockerspec.DockerOCIImage
	// Base is the config of the base image the final stage started from,
	// when it was an image; its history entries keep their times.
	Base     *dockerspec.DockerOCIImage
	Layers   []*Layer
	Platform ocispec.Platform
	work     *lock.Dir
	d        *dispatcher // unpacks image layers no step mounted (MountRootfs)
}

// WorkDir is the build's own scratch directory, removed by Close.
func (img *Built) WorkDir() string { return img.work.Path }

// MountRootfs mounts the image's filesystem read-only at target (an
// existing empty directory), unpacking the base image layers no build step
// needed, and returns the function that unmounts it.
func (img *Built) MountRootfs(ctx context.Context, target string) (unmount func() error, err error) {
	if err := img.d.materialize(ctx, img.Layers); err != nil {
		return nil, err
	}
	return layers.MountReadOnly(lowerDirs(img.Layers), target)
}

// Close removes the build's work directory (unmounting what is left in it)
// and releases its lock.
func (img *Built) Close() error { return img.work.Remove() }

// dispatcher holds one Build's state.
type dispatcher struct {
	b      *Builder
	t      Target
	p      *plan
	work   string
	seq    int
	log    io.Writer
	images map[string]*loadedImage // named image contexts, loaded once
}

// Build executes the target's stages and returns its image.
func (b *Builder) Build(ctx context.Context, t Target) (img *Built, err error) {
	p, err := parsePlan(t)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(b.WorkDir, 0o700); err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	// The work dir is locked while this build uses it, so that SweepWork
	// can remove the ones of builds that died (see internal/lock).
	wd, err := lock.MkdirTemp(b.WorkDir, WorkPrefix)
	if err != nil {
		return nil, fmt.Errorf("create work dir: %w", err)
	}
	defer func() {
		if err != nil {
			wd.Remove()
		}
	}()
	work := wd.Path
	d := &dispatcher{b: b, t: t, p: p, work: work, log: t.Log, images: map[string]*loadedImage{}}
	if d.log == nil {
		d.log = io.Discard
	}
	for _, s := range p.reachable() {
		if s.index < 0 || s.replaced {
			// A context or image source, or a stage a named context
			// replaces: no commands run.
			s.dispatched = true
			continue
		}
		if err := d.dispatchStage(ctx, s); err != nil {
			return nil, err
		}
	}
	tgt := p.target
	d.finalize(tgt)
	// Only the output's layers become blobs.
	if err := d.ensureBlobs(ctx, tgt.layers); err != nil {
		return nil, err
	}
	return &Built{Config: tgt.image, Base: tgt.baseImg, Layers: tgt.layers, Platform: tgt.platform, work: wd, d: d}, nil
}

// WorkPrefix names the scratch directories of builds in a work dir.
const WorkPrefix = "build-"

// SweepWork removes the scratch directories (and mounts) that builds which
// died left in workDir: those matching prefixes whose lock is free. Live
// builds, in this process or another, hold theirs and are skipped.
func SweepWork(workDir string, prefixes ...string) error {
	return lock.Sweep(workDir, append([]string{WorkPrefix}, prefixes...)...)
}

// finalize sets the target platform on the result, as finalizeResultImage
// does when the platform was given explicitly.
func (d *dispatcher) finalize(s *stageState) {
	tp := d.t.Platform
	same := tp.OS == s.image.OS && tp.Architecture == s.image.Architecture
	s.image.OS = tp.OS
	s.image.Architecture = tp.Architecture
	if tp.Variant != "" || !same {
		s.image.Variant = tp.Variant
	}
	if !same {
		s.image.OSVersion = ""
	}
	s.platform = ocispec.Platform{OS: tp.OS, Architecture: tp.Architecture, Variant: s.image.Variant}
}

// dispatchStage initialises a stage from its base and runs its commands.
func (d *dispatcher) dispatchStage(ctx context.Context, s *stageState) error {
	if err := d.initStage(ctx, s); err != nil {
		return err
	}
	fmt.Fprintf(d.log, "[%s] %s\n", s.name, strings.TrimSpace(s.stage.SourceCode))
	for _, cmd := range s.commands {
		if err := ctx.Err(); err != nil {
			return err
		}
		if str, ok := cmd.(fmt.Stringer); ok {
			fmt.Fprintf(d.log, "[%s] %s\n", s.name, firstLine(str.String()))
		}
		if err := d.dispatch(ctx, s, cmd); err != nil {
			return cmdErr(d.p.path, cmd, "%s: %v", cmd.Name(), err)
		}
	}
	s.dispatched = true
	return nil
}

// initStage sets up a stage's image, environment and layers from its base,
// as resolveBaseImage and dispatchStages do.
func (d *dispatcher) initStage(ctx context.Context, s *stageState) error {
	tp := ocispec.Platform{OS: d.t.Platform.OS, Architecture: d.t.Platform.Architecture, Variant: d.t.Platform.Variant}
	switch {
	case s.base != nil:
		if !s.base.dispatched {
			return stageErr(d.p.path, s.stage, "base stage %s was not built", s.base.name)
		}
		s.init()
	case s.scratch:
		s.platform = tp
		s.image = image.EmptyImage(tp)
		s.env = newEnvList()
		s.chain = d.cacheKey("scratch")
	case s.imageRef != "":
		if s.platform.OS == "" {
			s.platform = tp
		}
		li, err := d.loadImage(ctx, s.imageRef, s.platform)
		if err != nil {
			return stageErr(d.p.path, s.stage, "FROM %s: %v", s.imageRef, err)
		}
		base := image.Clone(li.config)
		s.baseImg = &base
		s.image = image.Clone(li.config)
		s.image.Created = nil
		s.layers = append([]*Layer(nil), li.layers...)
		s.env = newEnvList()
		if d.b.Cache != nil {
			s.chain = imageChain(li.layers)
		}
	default:
		return stageErr(d.p.path, s.stage, "FROM %s: a local build context as a base is not supported", s.stage.BaseName)
	}
	if s.platform.OS == "" {
		s.platform = tp
	}
	if _, ok := shell.EnvsFromSlice(s.image.Config.Env).Get("PATH"); !ok {
		s.image.Config.Env = append(s.image.Config.Env, "PATH="+sandbox.DefaultPath)
	}
	for _, e := range s.image.Config.Env {
		k, v := parseKeyValue(e)
		s.env.set(k, v)
	}
	if wd := s.image.Config.WorkingDir; wd != "" {
		if err := d.setWorkdir(s, wd); err != nil {
			return stageErr(d.p.path, s.stage, "%v", err)
		}
	}
	if u := s.image.Config.User; u != "" {
		s.user = u
	}
	return nil
}

// dispatch runs one command after expanding its words, as dispatch does.
func (d *dispatcher) dispatch(ctx context.Context, s *stageState, cmd instructions.Command) error {
	if err := d.expand(s, cmd); err != nil {
		return err
	}
	switch c := cmd.(type) {
	case *instructions.EnvCommand:
		return d.dispatchEnv(s, c)
	case *instructions.ArgCommand:
		return d.dispatchArg(s, c)
	case *instructions.LabelCommand:
		return d.dispatchLabel(s, c)
	case *instructions.UserCommand:
		s.user = c.User
		s.image.Config.User = c.User
		d.history(s, fmt.Sprintf("USER %v", c.User), false)
	case *instructions.ShellCommand:
		s.image.Config.Shell = c.Shell
		d.history(s, fmt.Sprintf("SHELL %v", c.Shell), false)
	case *instructions.CmdCommand:
		return d.dispatchCmd(s, c)
	case *instructions.EntrypointCommand:
		return d.dispatchEntrypoint(s, c)
	case *instructions.WorkdirCommand:
		return d.dispatchWorkdir(ctx, s, c)
	case *instructions.CopyCommand:
		return d.dispatchCopy(ctx, s, copyFromCopy(c))
	case *instructions.AddCommand:
		return d.dispatchCopy(ctx, s, copyFromAdd(c))
	case *instructions.RunCommand:
		return d.dispatchRun(ctx, s, c)
	case *instructions.ExposeCommand:
		return d.dispatchExpose(s, c)
	case *instructions.VolumeCommand:
		return d.dispatchVolume(s, c)
	case *instructions.StopSignalCommand:
		return d.dispatchStopSignal(s, c)
	case *instructions.HealthCheckCommand:
		return d.dispatchHealthcheck(s, c)
	default:
		return fmt.Errorf("%s is not supported by stevedore", cmd.Name())
	}
	return nil
}

// newDir makes a fresh directory in the build's work dir.
func (d *dispatcher) newDir(kind string) (string, error) {
	d.seq++
	dir := filepath.Join(d.work, fmt.Sprintf("%s-%d", kind, d.seq))
	return dir, os.Mkdir(dir, 0o755)
}

// firstLine shortens a multi-line instruction (heredocs) for progress.
func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}
