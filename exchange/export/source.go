package export

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/oci/layout"
)

// Repository is the repository every exported image is named under, so that
// `podman run stagex/core-box` finds what `stevedore export` wrote. It is a
// short name on purpose: no registry host is implied; podman stores it as
// localhost/stagex/..., containerd as written.
const Repository = "stagex"

// Source is a built target opened for export. Close it when done.
type Source struct {
	// Target is the <stage>-<name> of the image.
	Target string
	// Tag is index.json's ref name of the first manifest ("latest" if none).
	Tag string
	// Top is index.json's first descriptor: the nested image index BuildKit
	// writes (or an image manifest in a flat layout). It is what a registry
	// tag and a containerd image point to.
	Top v1.Descriptor
	// Manifest is the image manifest digest StageX records and signs
	// (index.json -> manifests[0] -> manifests[0]).
	Manifest v1.Hash

	img   blobs
	index v1.IndexManifest
}

// Open opens the out/<target> layout of tree.
func Open(tree, target string) (*Source, error) {
	return OpenDir(digests.OutDir(tree, target), target)
}

// OpenDir opens the OCI layout in dir as the image of target. index.json
// is read once, with digests.ReadRecorded, which verifies every metadata
// blob on the way to the manifest digest; every later blob read goes
// through oci/layout and is verified too.
func OpenDir(dir, target string) (*Source, error) {
	info, rec, err := digests.ReadRecorded(dir)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", target, err)
	}
	s := &Source{Target: target, Tag: info.Tag, Manifest: info.Digest, img: blobs{layout.Dir(dir)}}
	if err := json.Unmarshal(rec.IndexJSON, &s.index); err != nil {
		return nil, fmt.Errorf("open %s: parse %s: %w", target, filepath.Join(dir, "index.json"), err)
	}
	s.Top = s.index.Manifests[0]
	return s, nil
}

// blobs reads a layout's blobs, verified (oci/layout), in
// go-containerregistry's types.
type blobs struct{ l *layout.Layout }

func (b blobs) Blob(h v1.Hash, size int64) (io.ReadCloser, error) {
	return b.l.Blob(digest.Digest(h.String()), size)
}

func (b blobs) ReadBlob(d v1.Descriptor) ([]byte, error) {
	return b.l.ReadBlob(digest.Digest(d.Digest.String()), d.Size)
}

// Name is the image name every export uses: stagex/<target>:<tag>.
func (s *Source) Name() string { return ImageName(s.Target, s.Tag) }

// ImageName returns stagex/<target>:<tag>, the name of an exported target.
func ImageName(target, tag string) string {
	if tag == "" {
		tag = "latest"
	}
	return Repository + "/" + target + ":" + tag
}

// Close releases the layout.
func (s *Source) Close() error { return nil }

// namedIndexJSON is index.json with every descriptor named
// stagex/<target>:<its tag> (oci.AnnotationImageName), everything else kept.
// BuildKit writes a name of its own there; podman load and containerd import
// use it as the image name.
func (s *Source) namedIndexJSON() ([]byte, error) {
	idx := s.index
	idx.Manifests = make([]v1.Descriptor, len(s.index.Manifests))
	for i, d := range s.index.Manifests {
		ann := map[string]string{}
		for k, v := range d.Annotations {
			ann[k] = v
		}
		tag := oci.RefTag(ann[ocispec.AnnotationRefName])
		ann[oci.AnnotationImageName] = ImageName(s.Target, tag)
		d.Annotations = ann
		idx.Manifests[i] = d
	}
	b, err := json.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("export %s: write index.json: %w", s.Target, err)
	}
	return b, nil
}
