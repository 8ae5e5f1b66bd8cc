package layers

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
)

// layoutImage is what the parity test needs of a BuildKit OCI layout: the
// manifest's layers (URLs[0] = the blob file) and the config's diffIDs.
type layoutImage struct {
	layers  []v1.Descriptor
	diffIDs []v1.Hash
}

// readLayout reads index.json → index → manifest → config and layers.
func readLayout(t *testing.T, layout string) *layoutImage {
	t.Helper()
	h, err := buildkitref.ManifestDigest(layout)
	mustOK(t, err)
	var m v1.Manifest
	readJSONBlob(t, layout, h, &m)
	var cfg v1.ConfigFile
	readJSONBlob(t, layout, m.Config.Digest, &cfg)
	for i := range m.Layers {
		m.Layers[i].URLs = []string{blobPath(layout, m.Layers[i].Digest)}
	}
	if len(cfg.RootFS.DiffIDs) != len(m.Layers) {
		t.Fatalf("layout %s: %d layers, %d diffIDs", layout, len(m.Layers), len(cfg.RootFS.DiffIDs))
	}
	return &layoutImage{layers: m.Layers, diffIDs: cfg.RootFS.DiffIDs}
}

func blobPath(layout string, h v1.Hash) string {
	return filepath.Join(layout, "blobs", h.Algorithm, h.Hex)
}

func readJSONBlob(t *testing.T, layout string, h v1.Hash, v any) {
	t.Helper()
	raw, err := os.ReadFile(blobPath(layout, h))
	mustOK(t, err)
	mustOK(t, json.Unmarshal(raw, v))
}

// unpackBase turns a base image's layers into the stack's lower dirs with
// Unpack, as stevedore does for FROM stagex/...; the blobs are reused, so
// they are also this image's first results.
func unpackBase(t *testing.T, s *stack, base *layoutImage) []result {
	t.Helper()
	var out []result
	for i, l := range base.layers {
		f, err := os.Open(l.URLs[0])
		mustOK(t, err)
		b := Blob{Digest: l.Digest, DiffID: base.diffIDs[i], Size: l.Size}
		dest := filepath.Join(s.root, "base"+itoa(int64(i)))
		err = Unpack(t.Context(), f, b, s.lowers, dest)
		f.Close()
		if err != nil {
			t.Fatalf("unpack base layer %d: %v", i, err)
		}
		s.lowers = append(s.lowers, dest)
		out = append(out, result{blob: b, upper: dest})
	}
	return out
}
