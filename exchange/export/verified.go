package export

import (
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The go-containerregistry views of a Source. go-containerregistry's own
// layout reader does not re-hash what it reads; these read every blob
// through oci/layout, which does, so a push or docker archive of a corrupt
// layout fails naming the blob.
var (
	_ v1.ImageIndex               = (*index)(nil)
	_ partial.CompressedImageCore = (*imageCore)(nil)
	_ partial.CompressedLayer     = (*blobLayer)(nil)
)

// index is a verified image index blob and its children.
type index struct {
	src  blobs
	desc v1.Descriptor
	raw  []byte
	m    v1.IndexManifest
}

func newIndex(src blobs, d v1.Descriptor) (*index, error) {
	raw, err := src.ReadBlob(d)
	if err != nil {
		return nil, err
	}
	ix := &index{src: src, desc: d, raw: raw}
	if err := json.Unmarshal(raw, &ix.m); err != nil {
		return nil, fmt.Errorf("parse index %s: %w", d.Digest, err)
	}
	return ix, nil
}

func (ix *index) MediaType() (types.MediaType, error) { return ix.desc.MediaType, nil }
func (ix *index) Digest() (v1.Hash, error)            { return ix.desc.Digest, nil }
func (ix *index) Size() (int64, error)                { return ix.desc.Size, nil }
func (ix *index) RawManifest() ([]byte, error)        { return ix.raw, nil }

func (ix *index) IndexManifest() (*v1.IndexManifest, error) {
	m := ix.m
	return &m, nil
}

func (ix *index) child(h v1.Hash) (v1.Descriptor, error) {
	for _, d := range ix.m.Manifests {
		if d.Digest == h {
			return d, nil
		}
	}
	return v1.Descriptor{}, fmt.Errorf("index %s has no manifest %s", ix.desc.Digest, h)
}

func (ix *index) Image(h v1.Hash) (v1.Image, error) {
	d, err := ix.child(h)
	if err != nil {
		return nil, err
	}
	return newImage(ix.src, d)
}

func (ix *index) ImageIndex(h v1.Hash) (v1.ImageIndex, error) {
	d, err := ix.child(h)
	if err != nil {
		return nil, err
	}
	return newIndex(ix.src, d)
}

// imageCore is a verified image manifest with its config and layers.
type imageCore struct {
	src  blobs
	desc v1.Descriptor
	raw  []byte
	m    v1.Manifest
}

// newImage reads the manifest d describes (verified) as a v1.Image.
func newImage(src blobs, d v1.Descriptor) (v1.Image, error) {
	raw, err := src.ReadBlob(d)
	if err != nil {
		return nil, err
	}
	c := &imageCore{src: src, desc: d, raw: raw}
	if err := json.Unmarshal(raw, &c.m); err != nil {
		return nil, fmt.Errorf("parse manifest %s: %w", d.Digest, err)
	}
	return partial.CompressedToImage(c)
}

func (c *imageCore) MediaType() (types.MediaType, error) { return c.desc.MediaType, nil }
func (c *imageCore) RawManifest() ([]byte, error)        { return c.raw, nil }
func (c *imageCore) RawConfigFile() ([]byte, error)      { return c.src.ReadBlob(c.m.Config) }

func (c *imageCore) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h == c.m.Config.Digest {
		return &blobLayer{src: c.src, desc: c.m.Config}, nil
	}
	for _, l := range c.m.Layers {
		if l.Digest == h {
			return &blobLayer{src: c.src, desc: l}, nil
		}
	}
	return nil, fmt.Errorf("manifest %s has no layer %s", c.desc.Digest, h)
}

// blobLayer streams one blob, re-hashed while it is read.
type blobLayer struct {
	src  blobs
	desc v1.Descriptor
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *blobLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error) {
	return l.src.Blob(l.desc.Digest, l.desc.Size)
}

// ImageIndex returns the verified index index.json's first descriptor
// points to (what a registry tag gets). It fails when that descriptor is
// an image manifest; use Image then.
func (s *Source) ImageIndex() (v1.ImageIndex, error) {
	if !s.Top.MediaType.IsIndex() {
		return nil, fmt.Errorf("%s: index.json points to a %s, not an image index", s.Target, s.Top.MediaType)
	}
	return newIndex(s.img, s.Top)
}

// Image returns the verified image whose manifest digest StageX records.
func (s *Source) Image() (v1.Image, error) {
	if !s.Top.MediaType.IsIndex() {
		return newImage(s.img, s.Top)
	}
	ix, err := newIndex(s.img, s.Top)
	if err != nil {
		return nil, err
	}
	return ix.Image(s.Manifest)
}
