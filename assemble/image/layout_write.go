package image

import (
	digest "github.com/opencontainers/go-digest"

	"github.com/stevedore-build/stevedore/oci/layout"
)

// WriteLayout writes img as a complete OCI image layout at dir, replacing
// whatever layout is there, atomically (layout.Create and Commit): each
// layer once, then the config, manifest and index, every blob verified,
// index.json last. A crash or Ctrl-C at any point leaves either the old
// layout or the new one at dir, never a mix.
func WriteLayout(dir string, img *Assembled) (err error) {
	w, err := layout.Create(dir)
	if err != nil {
		return err
	}
	defer w.Close()
	for _, l := range img.Layers {
		if err := w.AddFile(l.Path, digest.Digest(l.Digest.String()), l.Size); err != nil {
			return err
		}
	}
	for _, b := range []struct {
		d    string
		data []byte
	}{{img.ConfigDigest.String(), img.Config}, {img.ManifestDigest.String(), img.Manifest}, {img.IndexDigest.String(), img.Index}} {
		if b.data == nil {
			continue
		}
		if err := w.AddBytes(digest.Digest(b.d), b.data); err != nil {
			return err
		}
	}
	return w.Commit(img.IndexJSON)
}
