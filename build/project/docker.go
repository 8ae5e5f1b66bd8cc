package project

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// dockerManifest is one entry of a docker save archive's manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// WriteDockerTar writes img as BuildKit v0.34.2's docker exporter does
// (type=docker,dest=FILE): the OCI layout, whose manifest keeps OCI media
// types and so the same digest as type=oci, plus Docker's manifest.json;
// an unnamed image has no ref.name in index.json and null RepoTags.
func WriteDockerTar(file string, img *image.Assembled, name string) error {
	return withScratchLayout(file, img, func(layout string) error {
		if name == "" {
			if err := dropRefName(filepath.Join(layout, "index.json")); err != nil {
				return err
			}
		}
		m := dockerManifest{Config: "blobs/sha256/" + img.ConfigDigest.Hex}
		for _, l := range img.Layers {
			m.Layers = append(m.Layers, "blobs/sha256/"+l.Digest.Hex)
		}
		if name != "" {
			m.RepoTags = []string{familiarName(name)}
		}
		raw, err := json.Marshal([]dockerManifest{m})
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(layout, "manifest.json"), raw, 0o644); err != nil {
			return err
		}
		return atomicfile.Write(file, func(w io.Writer) error { return tarDir(w, layout) })
	})
}

// dropRefName removes the ref.name annotation of index.json's descriptor.
func dropRefName(p string) error {
	raw, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return err
	}
	for i := range idx.Manifests {
		delete(idx.Manifests[i].Annotations, ocispec.AnnotationRefName)
	}
	raw, err = json.Marshal(idx)
	if err != nil {
		return err
	}
	return os.WriteFile(p, raw, 0o644)
}

// familiarName is a reference as Docker shows it: docker.io/library/ and
// docker.io/ dropped, :latest added when there is no tag.
func familiarName(name string) string {
	if i := strings.LastIndexByte(name, ':'); i < 0 || i < strings.LastIndexByte(name, '/') {
		name += ":latest"
	}
	if rest, ok := strings.CutPrefix(name, "docker.io/library/"); ok && !strings.Contains(rest, "/") {
		return rest
	}
	if rest, ok := strings.CutPrefix(name, "docker.io/"); ok {
		return rest
	}
	return name
}
