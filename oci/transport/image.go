package transport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// maxJSON bounds the size of a JSON blob (index, manifest, config) read
// into memory; layers are only ever streamed.
const maxJSON = 64 << 20

// Image is an opened image store with verified, raw access to its blobs.
type Image struct {
	// Ref is where the image was opened from.
	Ref Ref
	// IndexJSON is the raw index.json of a layout. It is nil for a
	// docker-archive and when Ref.Tag selected one manifest.
	IndexJSON []byte
	// Manifests are the top-level descriptors: index.json's manifests, the
	// one Ref.Tag selected, or the synthesized manifest of a docker-archive.
	Manifests []v1.Descriptor

	src   source
	extra map[v1.Hash][]byte // synthesized blobs (docker-archive manifest)
}

// Open opens the image ref refers to. Close it when done.
func Open(ref Ref) (*Image, error) {
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
func OpenString(s, tree string) (*Image, error) {
	ref, err := ParseRef(s, tree)
	if err != nil {
		return nil, err
	}
	return Open(ref)
}

func openLayout(ref Ref, src source) (*Image, error) {
	img := &Image{Ref: ref, src: src}
	raw, err := readAll(src, "index.json")
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

func readAll(src source, name string) ([]byte, error) {
	rc, err := src.open(name)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxJSON {
		return nil, fmt.Errorf("read %s: larger than %d bytes", name, maxJSON)
	}
	return b, nil
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

// Blob opens blob h for streaming. Reading it to the end returns an error
// naming the blob when its content does not hash to h or, when size >= 0,
// has another size.
func (img *Image) Blob(h v1.Hash, size int64) (io.ReadCloser, error) {
	if b, ok := img.extra[h]; ok {
		return newVerifyReader(io.NopCloser(bytes.NewReader(b)), h, size)
	}
	rc, err := img.src.open(blobName(h))
	if err != nil {
		return nil, fmt.Errorf("open blob %s in %s: %w", h, img.Ref, err)
	}
	return newVerifyReader(rc, h, size)
}

// ReadBlob reads and verifies the small blob d describes (a JSON document).
func (img *Image) ReadBlob(d v1.Descriptor) ([]byte, error) {
	if d.Size > maxJSON {
		return nil, fmt.Errorf("read blob %s: size %d is larger than %d", d.Digest, d.Size, maxJSON)
	}
	rc, err := img.Blob(d.Digest, d.Size)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read blob %s in %s: %w", d.Digest, img.Ref, err)
	}
	return b, nil
}

// Close releases the files the image holds open.
func (img *Image) Close() error { return img.src.Close() }
