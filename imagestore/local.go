package imagestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/oci/transport"
)

// Annotations that name an image in a layout's index.json: the OCI one
// (skopeo, BuildKit's name=) and containerd's (ctr export, BuildKit).
const ()

// localSource is an OCI layout directory, an oci-archive or a
// docker-archive, opened on first use through oci/transport.
type localSource struct {
	kind, path string
	img        *transport.Store
	tags       []string // docker-archive RepoTags
}

var _ Source = (*localSource)(nil)

func (s *localSource) String() string { return s.kind + ":" + s.path }

func (s *localSource) Local() bool { return true }

func (s *localSource) open() (*transport.Store, error) {
	if s.img != nil {
		return s.img, nil
	}
	if _, err := os.Stat(s.path); err != nil {
		return nil, fmt.Errorf("image source %s: %w", s, err)
	}
	img, err := transport.Open(transport.Ref{Kind: transport.Kind(s.kind), Path: s.path})
	if err != nil {
		return nil, fmt.Errorf("image source %s: %w", s, err)
	}
	if s.kind == "docker-archive" {
		mf, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(s.path) })
		if err != nil {
			img.Close()
			return nil, fmt.Errorf("image source %s: %w", s, err)
		}
		for _, d := range mf {
			s.tags = append(s.tags, d.RepoTags...)
		}
	}
	s.img = img
	return img, nil
}

// Lookup finds ref among the layout's top-level descriptors by their name
// annotations, or among a docker-archive's RepoTags. Two different digests
// for one name are an error.
func (s *localSource) Lookup(_ context.Context, ref name.Reference) (v1.Hash, error) {
	img, err := s.open()
	if err != nil {
		return v1.Hash{}, err
	}
	if s.kind == "docker-archive" {
		for _, t := range s.tags {
			if sameName(t, ref) {
				return img.Manifests[0].Digest, nil
			}
		}
		return v1.Hash{}, fmt.Errorf("%s: no RepoTags entry %s: %w", s, ref, errNotFound)
	}
	var found []v1.Hash
	for _, d := range img.Manifests {
		for _, k := range []string{ocispec.AnnotationRefName, oci.AnnotationImageName} {
			if v := d.Annotations[k]; v != "" && sameName(v, ref) {
				found = append(found, d.Digest)
				break
			}
		}
	}
	for _, h := range found[min(1, len(found)):] {
		if h != found[0] {
			return v1.Hash{}, fmt.Errorf("%s names both %s and %s in %s; pin one by digest", ref, found[0], h, s)
		}
	}
	if len(found) == 0 {
		return v1.Hash{}, fmt.Errorf("%s: no index.json entry named %s: %w", s, ref, errNotFound)
	}
	return found[0], nil
}

func (s *localSource) Manifest(ctx context.Context, repo name.Repository, h v1.Hash) ([]byte, error) {
	rc, err := s.Blob(ctx, repo, h)
	if err != nil {
		return nil, err
	}
	b, err := readJSON(rc)
	if err != nil {
		return nil, fmt.Errorf("%s: blob %s: %w", s, h, err)
	}
	return b, nil
}

// Blob opens a blob of the layout or archive; any repository matches,
// since blobs are content-addressed.
func (s *localSource) Blob(_ context.Context, _ name.Repository, h v1.Hash) (io.ReadCloser, error) {
	img, err := s.open()
	if err != nil {
		return nil, err
	}
	rc, err := img.Blob(h, -1)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: blob %s: %w", s, h, errNotFound)
	}
	return rc, err
}

func (s *localSource) Close() error {
	if s.img == nil {
		return nil
	}
	err := s.img.Close()
	s.img = nil
	return err
}
