package imagestore

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	digest "github.com/opencontainers/go-digest"
	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/oci/layout"
)

// copier copies what one digest names from one source into a layout
// directory: the index or manifest, and for the wanted platform the
// manifest, config and layers. Manifests of other platforms whose
// descriptors carry a platform are left out; those without one are copied
// (with their config) because the reader opens them to learn theirs.
type copier struct {
	ctx  context.Context
	src  Source
	repo name.Repository
	w    *layout.Writer // the layout being written
	want ocispec.Platform
}

// top copies the object h names and returns its descriptor.
func (c *copier) top(h v1.Hash) (v1.Descriptor, error) {
	raw, err := c.src.Manifest(c.ctx, c.repo, h)
	if err != nil {
		return v1.Descriptor{}, err
	}
	d := v1.Descriptor{MediaType: sniff(raw), Digest: h, Size: int64(len(raw))}
	if err := c.put(d, raw); err != nil {
		return v1.Descriptor{}, err
	}
	if d.MediaType.IsIndex() {
		_, err = c.index(raw, 0)
	} else {
		err = c.image(raw, true)
	}
	return d, err
}

// index copies the children of an index up to the first manifest for the
// wanted platform; it reports whether one was found.
func (c *copier) index(raw []byte, depth int) (bool, error) {
	if depth > 4 {
		return false, fmt.Errorf("image indexes nested too deep")
	}
	var ix v1.IndexManifest
	if err := json.Unmarshal(raw, &ix); err != nil {
		return false, fmt.Errorf("parse image index: %w", err)
	}
	for _, d := range ix.Manifests {
		if d.Platform != nil && !c.matches(ocispec.Platform{OS: d.Platform.OS, Architecture: d.Platform.Architecture, Variant: d.Platform.Variant}) {
			continue
		}
		switch {
		case d.MediaType.IsIndex():
			child, err := c.manifest(d)
			if err != nil {
				return false, err
			}
			if ok, err := c.index(child, depth+1); ok || err != nil {
				return ok, err
			}
		case d.MediaType.IsImage():
			child, err := c.manifest(d)
			if err != nil {
				return false, err
			}
			ok, err := c.platformOf(child)
			if err != nil {
				return false, err
			}
			if ok {
				return true, c.image(child, true)
			}
		}
	}
	return false, nil
}

// manifest fetches and stores a child index or manifest.
func (c *copier) manifest(d v1.Descriptor) ([]byte, error) {
	if d.Size > maxJSON {
		return nil, fmt.Errorf("manifest %s: size %d out of range", d.Digest, d.Size)
	}
	raw, err := c.src.Manifest(c.ctx, c.repo, d.Digest)
	if err != nil {
		return nil, err
	}
	return raw, c.put(d, raw)
}

// platformOf copies a manifest's config and reports whether it is for the
// wanted platform.
func (c *copier) platformOf(raw []byte) (bool, error) {
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return false, fmt.Errorf("parse manifest: %w", err)
	}
	cfg, err := c.small(m.Config)
	if err != nil {
		return false, err
	}
	var p ocispec.Platform
	if err := json.Unmarshal(cfg, &p); err != nil {
		return false, fmt.Errorf("parse config %s: %w", m.Config.Digest, err)
	}
	return c.matches(p), nil
}

// image copies a manifest's config and, with layers, every layer.
func (c *copier) image(raw []byte, layers bool) error {
	var m v1.Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("parse manifest: %w", err)
	}
	if _, err := c.small(m.Config); err != nil {
		return err
	}
	for _, l := range m.Layers {
		if !layers {
			break
		}
		rc, err := c.src.Blob(c.ctx, c.repo, l.Digest)
		if err != nil {
			return err
		}
		err = c.write(l, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// small fetches and stores a config blob, returning its bytes.
func (c *copier) small(d v1.Descriptor) ([]byte, error) {
	if d.Size > maxJSON || d.Size < 0 {
		return nil, fmt.Errorf("config %s: size %d out of range", d.Digest, d.Size)
	}
	rc, err := c.src.Blob(c.ctx, c.repo, d.Digest)
	if err != nil {
		return nil, err
	}
	raw, err := readJSON(rc)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	return raw, c.put(d, raw)
}

func (c *copier) matches(p ocispec.Platform) bool {
	return oci.SamePlatform(p, c.want)
}

func (c *copier) put(d v1.Descriptor, raw []byte) error {
	return c.write(d, io.NopCloser(bytesReader(raw)))
}

// write stores blob d from r, hashing it on the way: content that does not
// match the digest (or the size, when known) is refused, naming the blob
// and the source.
func (c *copier) write(d v1.Descriptor, r io.Reader) error {
	size := d.Size
	if size <= 0 {
		size = -1
	}
	return c.w.AddStream(digest.Digest(d.Digest.String()), size, r, c.src.String())
}

// sniff is the media type of an index or manifest: its mediaType field, or
// for OCI documents without one, index when it lists manifests.
func sniff(raw []byte) types.MediaType {
	var doc struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(raw, &doc) == nil && doc.MediaType != "" {
		return doc.MediaType
	}
	if doc.Manifests != nil {
		return types.OCIImageIndex
	}
	return types.OCIManifestSchema1
}
