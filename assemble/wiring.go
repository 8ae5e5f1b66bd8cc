package assemble

import (
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
)

// readLayout reads an OCI layout's image for platform, every blob verified.
func readLayout(dir string, platform ocispec.Platform) (dockerspec.DockerOCIImage, []Blob, error) {
	l, err := image.ReadLayout(dir, platform)
	if err != nil {
		return dockerspec.DockerOCIImage{}, nil, err
	}
	blobs := make([]Blob, len(l.Layers))
	for i, ly := range l.Layers {
		blobs[i] = Blob{Path: ly.Path, Blob: ly.Blob}
	}
	return l.Config, blobs, nil
}
