package layout

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
)

// Docker's media types, which layouts written by other tools may use.
const (
	MediaTypeDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
)

// IsIndex reports whether a descriptor's media type is an image index.
func IsIndex(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageIndex || mediaType == MediaTypeDockerManifestList
}

// IsManifest reports whether a descriptor's media type is an image manifest.
func IsManifest(mediaType string) bool {
	return mediaType == ocispec.MediaTypeImageManifest || mediaType == MediaTypeDockerManifest
}

// maxDepth bounds how deeply image indexes may nest.
const maxDepth = 4

// Platform is one platform's image found in a layout, every blob of it
// verified: the manifest, the config and the layers.
type Platform struct {
	// Manifest is the manifest's descriptor (its digest is what StageX
	// records) and Manifest its parsed content.
	ManifestDesc ocispec.Descriptor
	Manifest     ocispec.Manifest
	// ConfigRaw is the config's exact bytes, Config its OCI fields.
	ConfigRaw []byte
	Config    ocispec.Image
	// Platform is the config's platform, normalised (oci.NormalizePlatform).
	Platform ocispec.Platform
}

// Resolve finds the image for platform: index.json, then nested image
// indexes, to the first manifest for the platform (by its descriptor's
// platform, or its config's when the descriptor has none). Every blob it
// touches, layers included, is re-hashed; a mismatch is an error naming
// the blob and the layout. A config without "os" matches no platform.
func (l *Layout) Resolve(platform ocispec.Platform) (*Platform, error) {
	_, idx, err := l.Index()
	if err != nil {
		return nil, err
	}
	r := &resolver{l: l, want: oci.NormalizePlatform(platform)}
	img, err := r.find(idx.Manifests, 0)
	if err != nil {
		return nil, err
	}
	if img == nil {
		return nil, fmt.Errorf("read layout %s: no image for platform %s (found: %s)", l.name, platforms.Format(r.want), r.foundList())
	}
	if err := l.verifyLayers(img); err != nil {
		return nil, err
	}
	return img, nil
}

// resolver walks one layout looking for one platform.
type resolver struct {
	l     *Layout
	want  ocispec.Platform
	found []string
}

func (r *resolver) foundList() string {
	if len(r.found) == 0 {
		return "no manifests"
	}
	return strings.Join(r.found, ", ")
}

// find returns the first manifest for r.want under descs, or nil.
func (r *resolver) find(descs []ocispec.Descriptor, depth int) (*Platform, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("read layout %s: image indexes nested too deep", r.l.name)
	}
	for _, d := range descs {
		switch {
		case IsIndex(d.MediaType):
			raw, err := r.l.ReadBlob(d.Digest, d.Size)
			if err != nil {
				return nil, err
			}
			var idx ocispec.Index
			if err := json.Unmarshal(raw, &idx); err != nil {
				return nil, fmt.Errorf("read layout %s: parse image index %s: %w", r.l.name, d.Digest, err)
			}
			if img, err := r.find(idx.Manifests, depth+1); img != nil || err != nil {
				return img, err
			}
		case IsManifest(d.MediaType):
			if d.Platform != nil && !oci.SamePlatform(*d.Platform, r.want) {
				r.found = append(r.found, platforms.Format(oci.NormalizePlatform(*d.Platform)))
				continue
			}
			img, err := r.l.manifest(d)
			if err != nil {
				return nil, err
			}
			if oci.SamePlatform(img.Platform, r.want) {
				return img, nil
			}
			r.found = append(r.found, platforms.Format(img.Platform))
		}
	}
	return nil, nil
}

// manifest reads a manifest and its config.
func (l *Layout) manifest(d ocispec.Descriptor) (*Platform, error) {
	raw, err := l.ReadBlob(d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	img := &Platform{ManifestDesc: d}
	if err := json.Unmarshal(raw, &img.Manifest); err != nil {
		return nil, fmt.Errorf("read layout %s: parse manifest %s: %w", l.name, d.Digest, err)
	}
	c := img.Manifest.Config
	if img.ConfigRaw, err = l.ReadBlob(c.Digest, c.Size); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(img.ConfigRaw, &img.Config); err != nil {
		return nil, fmt.Errorf("read layout %s: parse config %s: %w", l.name, c.Digest, err)
	}
	img.Platform = oci.NormalizePlatform(ocispec.Platform{
		OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant,
	})
	return img, nil
}

// verifyLayers re-hashes every layer and checks there is one diffID each.
func (l *Layout) verifyLayers(img *Platform) error {
	diffIDs := img.Config.RootFS.DiffIDs
	if len(diffIDs) != len(img.Manifest.Layers) {
		return fmt.Errorf("read layout %s: manifest %s has %d layers but its config %d diff_ids", l.name, img.ManifestDesc.Digest, len(img.Manifest.Layers), len(diffIDs))
	}
	for i, d := range img.Manifest.Layers {
		if err := diffIDs[i].Validate(); err != nil {
			return fmt.Errorf("read layout %s: config %s: diff_ids[%d]: %w", l.name, img.Manifest.Config.Digest, i, err)
		}
		if err := l.VerifyBlob(d.Digest, d.Size); err != nil {
			return err
		}
	}
	return nil
}

// Recorded is the image StageX records for a layout: index.json's first
// descriptor (Top: BuildKit's nested image index, or a manifest in a flat
// layout) and, through it, the image manifest whose digest digests/ and
// signatures carry.
type Recorded struct {
	// IndexJSON is index.json's exact bytes, Index its parsed content.
	IndexJSON []byte
	Index     ocispec.Index
	Top       ocispec.Descriptor
	// Manifest is Top, or the first manifest of the index Top points to.
	Manifest digest.Digest
}

// Recorded reads index.json -> manifests[0] -> (image index ->)
// manifests[0], verifying every blob on the way.
func (l *Layout) Recorded() (*Recorded, error) {
	raw, idx, err := l.Index()
	if err != nil {
		return nil, err
	}
	if len(idx.Manifests) == 0 {
		return nil, fmt.Errorf("read layout %s: index.json has no manifests", l.name)
	}
	rec := &Recorded{IndexJSON: raw, Index: idx, Top: idx.Manifests[0]}
	body, err := l.ReadBlob(rec.Top.Digest, rec.Top.Size)
	if err != nil {
		return nil, err
	}
	if !sniffIndex(rec.Top.MediaType, body) {
		rec.Manifest = rec.Top.Digest
		return rec, nil
	}
	var inner ocispec.Index
	if err := json.Unmarshal(body, &inner); err != nil || len(inner.Manifests) == 0 {
		return nil, fmt.Errorf("read layout %s: image index %s: no manifests (%v)", l.name, rec.Top.Digest, err)
	}
	m := inner.Manifests[0]
	mbody, err := l.ReadBlob(m.Digest, m.Size)
	if err != nil {
		return nil, err
	}
	if sniffIndex(m.MediaType, mbody) {
		return nil, fmt.Errorf("read layout %s: image index %s: manifests[0] %s is an index, want an image manifest", l.name, rec.Top.Digest, m.Digest)
	}
	rec.Manifest = m.Digest
	return rec, nil
}

// sniffIndex reports whether a blob is an image index, from the
// descriptor's media type or, when that is empty, from the blob's own
// mediaType field (an OCI index may omit it: then "manifests" decides).
func sniffIndex(mediaType string, body []byte) bool {
	if mediaType == "" {
		var probe struct {
			MediaType string          `json:"mediaType"`
			Manifests json.RawMessage `json:"manifests"`
		}
		_ = json.Unmarshal(body, &probe)
		mediaType = probe.MediaType
		if mediaType == "" && probe.Manifests != nil {
			return true
		}
	}
	return IsIndex(mediaType)
}
