package image

import (
	"encoding/json"
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/containerd/platforms"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
)

// rewrittenTimestamp is util/converter's labelRewrittenTimestamp: the
// annotation every layer rewritten to the epoch keeps in the manifest.
const rewrittenTimestamp = "buildkit/rewritten-timestamp"

// manifestBlob is commitDistributionManifest's manifest: MarshalIndent with
// two spaces, the exporter's annotations on the manifest itself (BuildKit
// strips internal annotations only from layer descriptors, so
// containerd.io/distribution.source.* stays here), rewritten layers marked.
func manifestBlob(config []byte, layers []Layer, exp Export) ([]byte, error) {
	mfst := ocispec.Manifest{
		Versioned:   specs.Versioned{SchemaVersion: 2},
		MediaType:   ocispec.MediaTypeImageManifest,
		Annotations: maps.Clone(exp.Annotations),
		Config: ocispec.Descriptor{
			MediaType: ocispec.MediaTypeImageConfig,
			Digest:    digest.FromBytes(config),
			Size:      int64(len(config)),
		},
		Layers: []ocispec.Descriptor{},
	}
	if len(mfst.Annotations) == 0 {
		mfst.Annotations = nil
	}
	epoch := strconv.FormatInt(exp.Epoch.UTC().Unix(), 10)
	for _, l := range layers {
		d := ocispec.Descriptor{MediaType: l.MediaType, Digest: digest.Digest(l.Digest.String()), Size: l.Size}
		if l.New {
			d.Annotations = map[string]string{rewrittenTimestamp: epoch}
		}
		mfst.Layers = append(mfst.Layers, d)
	}
	if len(layers) == 0 {
		mfst.Layers = nil
	}
	dt, err := json.MarshalIndent(mfst, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal manifest: %w", err)
	}
	return dt, nil
}

// indexBlob is the image index BUILDKIT_MULTI_PLATFORM=1 forces even for
// one platform: one manifest descriptor with the normalised platform.
func indexBlob(manifest []byte, platform ocispec.Platform) ([]byte, error) {
	if platform.OS == "" || platform.Architecture == "" {
		return nil, fmt.Errorf("image index: platform needs os and architecture, got %q", platform.OS+"/"+platform.Architecture)
	}
	p := platforms.Normalize(platform)
	idx := ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType: ocispec.MediaTypeImageManifest,
			Digest:    digest.FromBytes(manifest),
			Size:      int64(len(manifest)),
			Platform:  &p,
		}},
	}
	dt, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("marshal image index: %w", err)
	}
	return dt, nil
}

// indexJSON is index.json as containerd's archive exporter writes it for
// BuildKit's OCI exporter: compact, one descriptor of the image index with
// the epoch as org.opencontainers.image.created and, when named, the
// normalised name and its tag.
func indexJSON(index []byte, exp Export) ([]byte, error) {
	ann, err := indexAnnotations(exp)
	if err != nil {
		return nil, err
	}
	idx := ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType:   ocispec.MediaTypeImageIndex,
			Digest:      digest.FromBytes(index),
			Size:        int64(len(index)),
			Annotations: ann,
		}},
	}
	dt, err := json.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("marshal index.json: %w", err)
	}
	return dt, nil
}

// indexAnnotations are the annotations of index.json's one descriptor:
// the epoch as created time and, when named, the normalised name and its
// tag.
func indexAnnotations(exp Export) (map[string]string, error) {
	ann := map[string]string{
		ocispec.AnnotationCreated: exp.Epoch.UTC().Format(time.RFC3339),
	}
	if exp.Name != "" {
		full, tag, err := normalizeName(exp.Name)
		if err != nil {
			return nil, err
		}
		ann[oci.AnnotationImageName] = full
		ann[ocispec.AnnotationRefName] = tag
	}
	return ann, nil
}

// manifestIndexJSON is index.json of a single-platform export: the
// manifest descriptor with the epoch as created time, the name and tag when
// named (else the tag "latest" alone) and the normalised platform.
func manifestIndexJSON(manifest []byte, platform ocispec.Platform, exp Export) ([]byte, error) {
	p := platforms.Normalize(platform)
	ann, err := indexAnnotations(exp)
	if err != nil {
		return nil, err
	}
	if exp.Name == "" {
		ann[ocispec.AnnotationRefName] = "latest"
	}
	idx := ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{{
			MediaType:   ocispec.MediaTypeImageManifest,
			Digest:      digest.FromBytes(manifest),
			Size:        int64(len(manifest)),
			Annotations: ann,
			Platform:    &p,
		}},
	}
	dt, err := json.Marshal(idx)
	if err != nil {
		return nil, fmt.Errorf("marshal index.json: %w", err)
	}
	return dt, nil
}
