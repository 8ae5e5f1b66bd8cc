package assemble

import (
	"context"
	"fmt"
	"path/filepath"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// loadedImage is a named image context (stagex/<dep>) read from its OCI
// layout, with its layers unpacked as overlay lower directories.
type loadedImage struct {
	config dockerspec.DockerOCIImage
	layers []*Layer
}

// loadImage reads and unpacks a named image once per build.
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
	var lowers []string
	for _, b := range blobs {
		d.seq++
		layerDir := filepath.Join(d.work, fmt.Sprintf("base-%d", d.seq))
		if err := d.b.Layers.Unpack(ctx, b, lowers, layerDir); err != nil {
			return nil, fmt.Errorf("unpack layer %s of %s: %w", b.Digest, ref, err)
		}
		lowers = append(lowers, layerDir)
		li.layers = append(li.layers, &Layer{Dir: layerDir, Blob: b, FromBase: true})
	}
	d.images[key] = li
	return li, nil
}
