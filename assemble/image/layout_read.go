package image

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/layers"
	"github.com/stevedore-build/stevedore/oci/layout"
)

// Loaded is one platform's image read back from a layout: what a FROM
// stagex/<dep> stage starts from.
type Loaded struct {
	// Config is the parsed config (pass it to FromBase and as Input.Base);
	// ConfigRaw its exact bytes.
	Config       dockerspec.DockerOCIImage
	ConfigRaw    []byte
	ConfigDigest v1.Hash
	// Manifest is the parsed image manifest; ManifestDigest is the digest
	// StageX records for the image.
	Manifest       ocispec.Manifest
	ManifestDigest v1.Hash
	// Platform is the platform the manifest was selected for.
	Platform ocispec.Platform
	// Layers point at the verified blobs inside the layout, with their
	// diffIDs from the config; New is false.
	Layers []Layer
}

// ReadLayout reads the image for platform from the OCI layout at dir with
// layout.Resolve (every blob it touches, layers included, re-hashed) and
// adds what the executor needs: the config as BuildKit's frontend parses
// it and the layer blobs' paths inside the layout.
func ReadLayout(dir string, platform ocispec.Platform) (*Loaded, error) {
	p, err := layout.Dir(dir).Resolve(platform)
	if err != nil {
		return nil, err
	}
	img := &Loaded{
		ConfigRaw: p.ConfigRaw, Manifest: p.Manifest, Platform: p.Platform,
		ManifestDigest: hashOf(p.ManifestDesc.Digest.String()), ConfigDigest: hashOf(p.Manifest.Config.Digest.String()),
	}
	if err := json.Unmarshal(p.ConfigRaw, &img.Config); err != nil {
		return nil, fmt.Errorf("read layout %s: parse config %s: %w", dir, img.ConfigDigest, err)
	}
	for i, d := range p.Manifest.Layers {
		path, err := layout.BlobPath(dir, d.Digest)
		if err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, Layer{
			Path: path, Blob: layers.Blob{Digest: hashOf(d.Digest.String()), Size: d.Size,
				DiffID: hashOf(p.Config.RootFS.DiffIDs[i].String())}, MediaType: d.MediaType,
		})
	}
	return img, nil
}

// hashOf converts a digest layout.Resolve has checked.
func hashOf(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		return v1.Hash{Algorithm: "invalid", Hex: s}
	}
	return h
}
