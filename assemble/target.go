package assemble

import (
	"fmt"
	"io"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
	"github.com/stevedore-build/stevedore/sandbox"
)

// Target is everything one build of one image needs, as explicit values.
type Target struct {
	// Name is <stage>-<name>; it names the image in index.json.
	Name string
	// Version is written as org.opencontainers.image.version ("" = latest).
	Version string
	// Containerfile is the recipe's path.
	Containerfile string
	// File is the recipe, parsed once (recipes/containerfile.Parse); its
	// stage graph is resolved per build (Graph).
	File *containerfile.File
	// ContextDir is the main build context (packages/<stage>/<origin>).
	ContextDir string
	// Contexts are the named build contexts: "fetch" -> a directory.
	Contexts map[string]string
	// Images are named image contexts: "stagex/<dep>" -> an OCI layout directory.
	Images map[string]string
	// StageTarget is the Containerfile stage to build ("" = the last one).
	StageTarget string
	// Platform is the target platform (--platform).
	Platform ocispec.Platform
	// BuildArgs are the --build-arg values.
	BuildArgs map[string]string
	// Epoch is SOURCE_DATE_EPOCH: clamps layer and history times.
	Epoch time.Time
	// Ulimits apply to every RUN (StageX: nofile=2048:16384).
	Ulimits []sandbox.Rlimit
	// NetworkForFetchSteps gives exactly the RUN instructions without
	// --network=none outbound network access from a network namespace of
	// their own (sandbox.Spec.OutboundNetwork; StageX's cargo fetch, go mod
	// download steps); every other RUN stays isolated.
	NetworkForFetchSteps bool
	// Log receives the output of RUN steps and progress lines.
	Log io.Writer
}

// isContext reports whether name is one of the target's named contexts:
// a local directory or an image (stagex/<dep>, a resolved reference).
func (t Target) isContext(name string) bool { return t.Contexts[name] != "" || t.Images[name] != "" }

// globals is the global ARG scope of the target's FROM lines.
func (t Target) globals() (containerfile.Scope, error) {
	if t.File == nil {
		return nil, fmt.Errorf("target %s: no parsed Containerfile", t.Name)
	}
	return t.File.GlobalArgs(t.BuildArgs, oci.BuildPlatform, t.Platform, t.StageTarget)
}

// Graph resolves the target's stages, contexts and images with the one
// rule of containerfile.Graph, its named contexts and images being the
// contexts.
func (t Target) Graph() (*containerfile.Graph, error) {
	globals, err := t.globals()
	if err != nil {
		return nil, err
	}
	return t.File.Graph(t.StageTarget, globals, t.isContext)
}
