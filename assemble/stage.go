package assemble

import (
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/layers"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// Layer is one filesystem layer of a stage: its contents as an overlayfs
// layer directory (the lower dir of the layers above it) and, once
// committed, its compressed blob.
type Layer struct {
	// Dir is the overlay-format directory; "" for an image layer that no
	// step has mounted yet (dispatcher.materialize unpacks it).
	Dir  string
	Blob Blob
	// FromBase is set for layers reused byte for byte from a base image.
	FromBase bool

	// A layer's blob is written only when an image that contains it is
	// assembled (dispatcher.ensureBlob): the layers of build stages that
	// no output contains never become tar or gzip. Until then Blob.Path is
	// "", below is the stack the differ compares Dir against, and key is
	// the layer's cache entry ("" without a cache).
	below []*Layer
	key   string
}

// Blob is a compressed layer file: where it is, and the blob's identity
// (digest, diff ID and size), which layers.Blob declares.
type Blob struct {
	Path string // gzip file
	layers.Blob
}

// stageState is one Containerfile stage while it is dispatched; it mirrors
// dockerfile2llb's dispatchState for what affects the output.
type stageState struct {
	index    int
	name     string             // lowercased AS name, or stage-N
	stage    instructions.Stage // BuildKit's, BaseName expanded
	cf       *containerfile.Stage
	commands []instructions.Command
	base     *stageState // FROM an earlier stage
	// imageRef is set when the stage starts from a named image context.
	imageRef string
	// contextDir is set when a named local context replaces the stage, or
	// is what a COPY --from or RUN --mount from= reads.
	contextDir string
	// replaced: a named context (contextDir or imageRef) replaces the
	// stage; its commands never run.
	replaced bool
	scratch  bool
	// unresolved is why the stage's base (or a COPY --from source) names
	// nothing known; an error only if the target needs the stage.
	unresolved error

	platform ocispec.Platform
	image    dockerspec.DockerOCIImage
	baseImg  *dockerspec.DockerOCIImage // immutable copy of a base image's config
	env      *envList
	workdir  string
	user     string
	args     []instructions.KeyValuePairOptional
	layers   []*Layer
	cmdSet   bool

	// chain is the cache key of the stage's filesystem so far; "" when the
	// build does not cache.
	chain string

	deps       []*stageState // stages used by COPY --from
	dispatched bool
}

// init copies the state of the base stage, as dispatchState.init does.
func (s *stageState) init() {
	if s.base == nil {
		return
	}
	b := s.base
	s.platform = b.platform
	s.image = image.Clone(b.image)
	s.image.Config.OnBuild = nil
	if b.baseImg != nil {
		bi := image.Clone(*b.baseImg)
		s.baseImg = &bi
	}
	s.env = b.env.clone()
	s.workdir = b.workdir
	s.user = b.user
	s.args = append(s.args, b.args...)
	s.layers = append([]*Layer(nil), b.layers...)
	s.chain = b.chain
}
