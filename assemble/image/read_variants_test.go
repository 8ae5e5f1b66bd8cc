package image

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	digest "github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci/layout"
)

// handLayout builds layouts the way other tools do, to read them back.
type handLayout struct {
	t   *testing.T
	dir string
}

func newHandLayout(t *testing.T) *handLayout {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755)
	return &handLayout{t: t, dir: dir}
}

// put stores a JSON document as a blob and returns its descriptor.
func (h *handLayout) put(mediaType string, v any, p *ocispec.Platform) ocispec.Descriptor {
	b, err := json.Marshal(v)
	if err != nil {
		h.t.Fatal(err)
	}
	d := digest.FromBytes(b)
	if err := os.WriteFile(filepath.Join(h.dir, "blobs", "sha256", d.Encoded()), b, 0o444); err != nil {
		h.t.Fatal(err)
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: d, Size: int64(len(b)), Platform: p}
}

// image stores a config and a layerless manifest for platform p.
func (h *handLayout) image(p ocispec.Platform, mediaType string, withPlatform bool) ocispec.Descriptor {
	cfg := EmptyImage(p)
	cfg.Config.User = platforms.Format(p) // tells the images apart
	cd := h.put(ocispec.MediaTypeImageConfig, cfg, nil)
	m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: mediaType, Config: cd}
	var dp *ocispec.Platform
	if withPlatform {
		dp = &p
	}
	return h.put(mediaType, m, dp)
}

func (h *handLayout) index(descs ...ocispec.Descriptor) ocispec.Index {
	return ocispec.Index{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageIndex, Manifests: descs}
}

func (h *handLayout) writeIndexJSON(idx ocispec.Index) {
	b, _ := json.Marshal(idx)
	if err := os.WriteFile(filepath.Join(h.dir, "index.json"), b, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

var (
	arm7  = ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	i386  = ocispec.Platform{OS: "linux", Architecture: "386"}
	arm64 = ocispec.Platform{OS: "linux", Architecture: "arm64"}
)

// TestReadLayoutShapes reads layouts shaped as BuildKit, go-containerregistry
// and Docker write them, picking the platform from descriptors or, when a
// descriptor has none, from the config.
func TestReadLayoutShapes(t *testing.T) {
	tests := []struct {
		name  string
		build func(h *handLayout)
		want  ocispec.Platform
		ask   ocispec.Platform
	}{
		{"index.json to manifest, no platform", func(h *handLayout) {
			h.writeIndexJSON(h.index(h.image(i386, ocispec.MediaTypeImageManifest, false)))
		}, i386, i386},
		{"multi-platform nested index", func(h *handLayout) {
			inner := h.index(h.image(amd64, ocispec.MediaTypeImageManifest, true), h.image(arm7, ocispec.MediaTypeImageManifest, true), h.image(arm64, ocispec.MediaTypeImageManifest, true))
			h.writeIndexJSON(h.index(h.put(ocispec.MediaTypeImageIndex, inner, nil)))
		}, arm7, ocispec.Platform{OS: "linux", Architecture: "arm"}},
		{"several manifests in index.json, config decides", func(h *handLayout) {
			h.writeIndexJSON(h.index(h.image(amd64, ocispec.MediaTypeImageManifest, false), h.image(arm64, ocispec.MediaTypeImageManifest, false)))
		}, arm64, ocispec.Platform{OS: "linux", Architecture: "aarch64"}},
		{"docker media types", func(h *handLayout) {
			inner := h.index(h.image(amd64, layout.MediaTypeDockerManifest, true))
			inner.MediaType = layout.MediaTypeDockerManifestList
			h.writeIndexJSON(h.index(h.put(layout.MediaTypeDockerManifestList, inner, nil)))
		}, amd64, amd64},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandLayout(t)
			tc.build(h)
			got, err := ReadLayout(h.dir, tc.ask)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got.Platform); diff != "" {
				t.Errorf("platform (-want +got):\n%s", diff)
			}
			if got.Config.Config.User != platforms.Format(tc.want) {
				t.Errorf("read the config of %s, want %s", got.Config.Config.User, platforms.Format(tc.want))
			}
		})
	}
}

// TestReadLayoutHostile: digests that are not sha256 hex (path tricks) and
// oversized descriptors are refused before any file is opened.
func TestReadLayoutHostile(t *testing.T) {
	for _, tc := range []struct {
		name string
		desc ocispec.Descriptor
		want string
	}{
		{"path traversal", ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: "sha256:../../../etc/passwd", Size: 10}, "sha256:../../../etc/passwd"},
		{"other algorithm", ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.Digest("sha512:" + strings.Repeat("a", 128)), Size: 10}, "unsupported digest"},
		{"huge", ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: digest.Digest("sha256:" + strings.Repeat("a", 64)), Size: 1 << 40}, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHandLayout(t)
			h.writeIndexJSON(h.index(tc.desc))
			_, err := ReadLayout(h.dir, amd64)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// FuzzReadLayout feeds arbitrary index.json bytes to ReadLayout next to a
// valid image's blobs: it must never panic nor open a path outside blobs/.
func FuzzReadLayout(f *testing.F) {
	f.Add([]byte(`{"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:00","size":2}]}`))
	f.Add([]byte(`{"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:../x","size":2}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, indexJSON []byte) {
		h := newHandLayout(t)
		h.writeIndexJSON(h.index(h.image(amd64, ocispec.MediaTypeImageManifest, true)))
		if err := os.WriteFile(filepath.Join(h.dir, "index.json"), indexJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := ReadLayout(h.dir, amd64)
		if err == nil && !strings.HasPrefix(img.ConfigDigest.String(), "sha256:") {
			t.Errorf("read %+v", img)
		}
	})
}

// TestReadLayoutConfigWithoutOS: a config without "os" is no Linux image,
// with or without a platform on its descriptor.
func TestReadLayoutConfigWithoutOS(t *testing.T) {
	for _, withPlatform := range []bool{false, true} {
		h := newHandLayout(t)
		cfg := EmptyImage(amd64)
		cfg.OS = ""
		cd := h.put(ocispec.MediaTypeImageConfig, cfg, nil)
		m := ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2}, MediaType: ocispec.MediaTypeImageManifest, Config: cd}
		var dp *ocispec.Platform
		if withPlatform {
			dp = &ocispec.Platform{Architecture: "amd64"}
		}
		h.writeIndexJSON(h.index(h.put(ocispec.MediaTypeImageManifest, m, dp)))
		_, err := ReadLayout(h.dir, amd64)
		if err == nil || !strings.Contains(err.Error(), "no image for platform linux/amd64 (found: unknown)") {
			t.Errorf("descriptor platform %v: err = %v, want no image for linux/amd64, found unknown", withPlatform, err)
		}
	}
}
