package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci/layout"
)

// Store is an opened image store (an OCI layout, oci-archive or
// docker-archive) with verified, raw access to its blobs.
type Store struct {
	// Ref is where the image was opened from.
	Ref Ref
	// IndexJSON is the raw index.json of a layout. It is nil for a
	// docker-archive and when Ref.Tag selected one manifest.
	IndexJSON []byte
	// Manifests are the top-level descriptors: index.json's manifests, the
	// one Ref.Tag selected, or the synthesized manifest of a docker-archive.
	Manifests []v1.Descriptor

	src    source
	layout *layout.Layout     // verified reads of src
	extra  map[v1.Hash][]byte // synthesized blobs (docker-archive manifest)
}

// Open opens the image ref refers to. Close it when done.
func Open(ref Ref) (*Store, error) {
	switch ref.Kind {
	case KindLayout:
		src, err := openDir(ref.Path)
		if err != nil {
			return nil, err
		}
		return openLayout(ref, src)
	case KindOCIArchive:
		src, err := openTar(ref.Path)
		if err != nil {
			return nil, err
		}
		return openLayout(ref, src)
	case KindDockerArchive:
		return openDocker(ref)
	}
	return nil, fmt.Errorf("open %s: unknown image kind %q", ref.Path, ref.Kind)
}

// OpenString parses s with ParseRef and opens it.
func OpenString(s, tree string) (*Store, error) {
	ref, err := ParseRef(s, tree)
	if err != nil {
		return nil, err
	}
	return Open(ref)
}

func openLayout(ref Ref, src source) (*Store, error) {
	img := &Store{Ref: ref, src: src, layout: layout.FromFiles(ref.String(), src)}
	raw, _, err := img.layout.Index()
	if err != nil {
		src.Close()
		return nil, fmt.Errorf("open %s: %w", ref, err)
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		src.Close()
		return nil, fmt.Errorf("open %s: parse index.json: %w", ref, err)
	}
	img.IndexJSON, img.Manifests = raw, idx.Manifests
	if ref.Tag != "" {
		d, err := selectTag(idx.Manifests, ref.Tag)
		if err != nil {
			src.Close()
			return nil, fmt.Errorf("open %s: %w", ref, err)
		}
		img.IndexJSON, img.Manifests = nil, []v1.Descriptor{d}
	}
	return img, nil
}

func selectTag(ds []v1.Descriptor, tag string) (v1.Descriptor, error) {
	var tags []string
	for _, d := range ds {
		if d.Annotations[ocispec.AnnotationRefName] == tag {
			return d, nil
		}
		if t := d.Annotations[ocispec.AnnotationRefName]; t != "" {
			tags = append(tags, t)
		}
	}
	return v1.Descriptor{}, fmt.Errorf("no manifest tagged %q in index.json (tags: %q)", tag, tags)
}

// Blob opens blob h for streaming (layout.Layout.Blob). Reading it to the
// end returns an error naming the blob when its content does not hash to h
// or, when size >= 0, has another size.
func (img *Store) Blob(h v1.Hash, size int64) (io.ReadCloser, error) {
	dg := digest.Digest(h.String())
	if b, ok := img.extra[h]; ok {
		return layout.Verify(io.NopCloser(bytes.NewReader(b)), dg, size, img.Ref.String()), nil
	}
	return img.layout.Blob(dg, size)
}

// ReadBlob reads and verifies the small blob d describes (a JSON document,
// at most layout.MaxJSON).
func (img *Store) ReadBlob(d v1.Descriptor) ([]byte, error) {
	if b, ok := img.extra[d.Digest]; ok {
		return b, nil
	}
	return img.layout.ReadBlob(digest.Digest(d.Digest.String()), d.Size)
}

// Close releases the files the image holds open.
func (img *Store) Close() error { return img.src.Close() }
