package project

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble"
	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// Options are the explicit inputs of one build, docker buildx build's
// flags after cmd/ resolved them.
type Options struct {
	// Containerfile is the recipe (-f).
	Containerfile string
	// File is the Containerfile, parsed (ReadContainerfile).
	File *containerfile.File
	// ContextDir is the main build context; its files are filtered by
	// ReadIgnore's patterns.
	ContextDir string
	// Contexts are local named contexts (--build-context NAME=DIR), each
	// filtered by its own .dockerignore.
	Contexts map[string]string
	// Images are image contexts and base images, name -> OCI layout
	// (resolved by imagestore or given as oci-layout://).
	Images map[string]string
	// Target is the stage to build ("" = the last one).
	Target string
	// Platform is the target platform.
	Platform ocispec.Platform
	// BuildArgs are the --build-arg values (SOURCE_DATE_EPOCH included).
	BuildArgs map[string]string
	// Epoch is SOURCE_DATE_EPOCH, as rewrite-timestamp applies it.
	Epoch time.Time
	// NetworkForFetchSteps gives RUNs without --network=none the host's
	// network; by default no RUN has a network.
	NetworkForFetchSteps bool
	// Log receives progress and RUN output; nil is silent.
	Log io.Writer
}

// ReadContainerfile reads and parses the recipe, the one parse of a build.
func ReadContainerfile(path string) (*containerfile.File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return containerfile.Parse(path, data)
}

// ImageRefs are the image references the build of o needs: FROM, COPY
// --from and RUN --mount from= names that are neither stages nor contexts,
// which the image store resolves into o.Images.
func ImageRefs(o Options) ([]containerfile.Ref, error) {
	g, err := assemble.Target{
		File: o.File, Contexts: o.Contexts, Images: o.Images,
		StageTarget: o.Target, Platform: o.Platform, BuildArgs: o.BuildArgs,
	}.Graph()
	if err != nil {
		return nil, err
	}
	return g.Images, nil
}

// Build runs the build with b: the contexts are copied as BuildKit's
// client sends them into b's work directory for the duration, then the
// executor runs. The caller closes the image.
func Build(ctx context.Context, b *assemble.Builder, o Options) (*assemble.Built, error) {
	if err := os.MkdirAll(b.WorkDir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(b.WorkDir, "contexts-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	excludes, err := ReadIgnore(o.Containerfile, o.ContextDir)
	if err != nil {
		return nil, err
	}
	main := filepath.Join(tmp, "main")
	if err := PrepareContext(ctx, o.ContextDir, main, excludes); err != nil {
		return nil, err
	}
	named := map[string]string{}
	i := 0
	for name, dir := range o.Contexts {
		ex, err := ReadContextIgnore(dir)
		if err != nil {
			return nil, err
		}
		i++
		dst := filepath.Join(tmp, fmt.Sprintf("named-%d", i))
		if err := PrepareContext(ctx, dir, dst, ex); err != nil {
			return nil, fmt.Errorf("--build-context %s: %w", name, err)
		}
		named[name] = dst
	}
	return b.Build(ctx, assemble.Target{
		Containerfile: o.Containerfile,
		File:          o.File,
		ContextDir:    main,
		Contexts:      named,
		Images:        o.Images,
		StageTarget:   o.Target,
		Platform:      o.Platform,
		BuildArgs:     o.BuildArgs,
		Epoch:         o.Epoch,
		Log:           o.Log,

		NetworkForFetchSteps: o.NetworkForFetchSteps,
	})
}

// Assemble makes the OCI image of a build as docker buildx build exports
// it for one platform with rewrite-timestamp: named name (a --tag, "" for
// none), index.json pointing at the manifest.
func Assemble(img *assemble.Built, epoch time.Time, name string) (*image.Assembled, error) {
	in := image.Input{Config: img.Config, Base: img.Base, Platform: img.Platform}
	for _, l := range img.Layers {
		in.Layers = append(in.Layers, image.Layer{Path: l.Blob.Path, Blob: l.Blob.Blob, New: !l.FromBase})
	}
	return image.Assemble(in, image.Export{Epoch: epoch, Name: name, SinglePlatform: true})
}
