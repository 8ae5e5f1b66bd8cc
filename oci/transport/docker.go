package transport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stevedore-build/stevedore/oci/layout"
)

// openDocker opens a docker save archive. It has no OCI manifest, so one is
// synthesized (Docker schema 2) from manifest.json: the config file and each
// layer file as stored, gzip layers as DockerLayer and plain tar layers as
// DockerUncompressedLayer. Every layer is hashed here to get its digest.
func openDocker(ref Ref) (*Store, error) {
	src, err := openTar(ref.Path)
	if err != nil {
		return nil, err
	}
	img, err := dockerImage(ref, src)
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("open %s: %w", ref, err)
	}
	return img, nil
}

func dockerImage(ref Ref, src *tarSource) (*Store, error) {
	mf, err := tarball.LoadManifest(func() (io.ReadCloser, error) { return os.Open(ref.Path) })
	if err != nil {
		return nil, fmt.Errorf("read manifest.json: %w", err)
	}
	if len(mf) != 1 {
		return nil, fmt.Errorf("manifest.json lists %d images, want 1", len(mf))
	}
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.DockerManifestSchema2}
	if m.Config, err = fileDescriptor(src, mf[0].Config, types.DockerConfigJSON); err != nil {
		return nil, err
	}
	for _, p := range mf[0].Layers {
		d, err := fileDescriptor(src, p, "")
		if err != nil {
			return nil, err
		}
		m.Layers = append(m.Layers, d)
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode synthesized manifest: %w", err)
	}
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	as := &aliasSource{tarSource: src, alias: map[string]string{}}
	img := &Store{Ref: ref, src: as, layout: layout.FromFiles(ref.String(), as)}
	img.extra = map[v1.Hash][]byte{h: raw}
	img.Manifests = []v1.Descriptor{{MediaType: types.DockerManifestSchema2, Size: size, Digest: h}}
	alias := as.alias
	alias[blobName(m.Config.Digest)] = mf[0].Config
	for i, p := range mf[0].Layers {
		alias[blobName(m.Layers[i].Digest)] = p
	}
	return img, nil
}

// fileDescriptor hashes archive file name. An empty mt means "a layer":
// gzip or plain tar, decided by the first bytes.
func fileDescriptor(src *tarSource, name string, mt types.MediaType) (v1.Descriptor, error) {
	rc, err := src.Open(name)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("read %s: %w", name, err)
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	if mt == "" {
		mt = types.DockerUncompressedLayer
		if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
			mt = types.DockerLayer
		}
	}
	h, size, err := v1.SHA256(br)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("hash %s: %w", name, err)
	}
	return v1.Descriptor{MediaType: mt, Size: size, Digest: h}, nil
}

// aliasSource maps blob names to the archive files that hold them.
type aliasSource struct {
	*tarSource
	alias map[string]string
}

func (a *aliasSource) Open(name string) (io.ReadCloser, error) {
	if n, ok := a.alias[name]; ok {
		name = n
	}
	return a.tarSource.Open(name)
}
