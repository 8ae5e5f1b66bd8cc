package export

import (
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// WriteDockerArchive writes the image StageX records (index.json ->
// manifests[0] -> manifests[0]) as a docker save archive (docker load,
// podman load, skopeo docker-archive:FILE) tagged stagex/<target>:<tag>,
// atomically. The format has Docker's manifest.json instead of the OCI
// manifest, so the manifest digest cannot be kept; the config and layer
// blobs are copied byte for byte and verified.
func (s *Source) WriteDockerArchive(file string) error {
	if err := atomicfile.Write(file, s.WriteDockerTar); err != nil {
		return fmt.Errorf("export %s to %s: %w", s.Target, file, err)
	}
	return nil
}

// WriteDockerTar streams the docker save archive to w.
func (s *Source) WriteDockerTar(w io.Writer) error {
	tag, err := name.NewTag(s.Name())
	if err != nil {
		return fmt.Errorf("export %s: image name %s: %w", s.Target, s.Name(), err)
	}
	img, err := s.Image()
	if err != nil {
		return fmt.Errorf("export %s: %w", s.Target, err)
	}
	if err := tarball.Write(tag, img, w); err != nil {
		return fmt.Errorf("export %s: %w", s.Target, err)
	}
	return nil
}
