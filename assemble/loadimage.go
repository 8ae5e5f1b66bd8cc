package assemble

import (
	"context"
	"fmt"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// loadedImage is a named image context (stagex/<dep>) read from its OCI
// layout; its layers are unpacked as overlay lower directories only when
// a step mounts them (dispatcher.materialize).
type loadedImage struct {
	config dockerspec.DockerOCIImage
	layers []*Layer
}

// loadImage reads a named image once per build.
func (d *dispatcher) loadImage(ctx context.Context, ref string, platform ocispec.Platform) (*loadedImage, error) {
	key := ref + "@" + platform.OS + "/" + platform.Architecture + "/" + platform.Variant
	if li, ok := d.images[key]; ok {
		return li, nil
	}
	dir, ok := d.t.Images[ref]
	if !ok {
		return nil, fmt.Errorf("no image context %s", ref)
	}
	cfg, blobs, err := readLayout(dir, platform)
	if err != nil {
		return nil, err
	}
	li := &loadedImage{config: cfg}
	for _, b := range blobs {
		// Unpacked when a step mounts it (materialize), once for all builds.
		li.layers = append(li.layers, &Layer{Blob: b, FromBase: true})
	}
	d.images[key] = li
	return li, nil
}
