package export

import (
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxDepth bounds index nesting, so that a hostile layout cannot recurse
// forever.
const maxDepth = 8

// blobs lists every blob index.json reaches, each once, parents before
// children: indexes, manifests, then each manifest's config and layers.
// Indexes and manifests are read (and verified) to find their children.
func (s *Source) blobs() ([]v1.Descriptor, error) {
	w := &walker{s: s, seen: map[v1.Hash]bool{}}
	for _, d := range s.index.Manifests {
		if err := w.walk(d, 0); err != nil {
			return nil, fmt.Errorf("export %s: %w", s.Target, err)
		}
	}
	return w.out, nil
}

type walker struct {
	s    *Source
	seen map[v1.Hash]bool
	out  []v1.Descriptor
}

func (w *walker) add(d v1.Descriptor) bool {
	if w.seen[d.Digest] {
		return false
	}
	w.seen[d.Digest] = true
	w.out = append(w.out, d)
	return true
}

func (w *walker) walk(d v1.Descriptor, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("index %s: nested deeper than %d", d.Digest, maxDepth)
	}
	if !w.add(d) {
		return nil
	}
	switch {
	case d.MediaType.IsIndex():
		raw, err := w.s.img.ReadBlob(d)
		if err != nil {
			return err
		}
		var idx v1.IndexManifest
		if err := json.Unmarshal(raw, &idx); err != nil {
			return fmt.Errorf("parse index %s: %w", d.Digest, err)
		}
		for _, c := range idx.Manifests {
			if err := w.walk(c, depth+1); err != nil {
				return err
			}
		}
	case d.MediaType.IsImage():
		raw, err := w.s.img.ReadBlob(d)
		if err != nil {
			return err
		}
		var m v1.Manifest
		if err := json.Unmarshal(raw, &m); err != nil {
			return fmt.Errorf("parse manifest %s: %w", d.Digest, err)
		}
		w.add(m.Config)
		for _, l := range m.Layers {
			w.add(l)
		}
	default:
		return fmt.Errorf("descriptor %s: media type %q is neither an index nor a manifest", d.Digest, d.MediaType)
	}
	return nil
}
