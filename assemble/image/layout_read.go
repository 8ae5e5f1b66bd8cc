package image

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
)

// maxJSON bounds the JSON documents ReadLayout loads into memory.
const maxJSON = 16 << 20

const (
	dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
	dockerManifest     = "application/vnd.docker.distribution.manifest.v2+json"
)

// Loaded is one platform's image read back from a layout: what a FROM
// stagex/<dep> stage starts from.
type Loaded struct {
	// Config is the parsed config (pass it to FromBase and as Input.Base);
	// ConfigRaw its exact bytes.
	Config       dockerspec.DockerOCIImage
	ConfigRaw    []byte
	ConfigDigest v1.Hash
	// Manifest is the parsed image manifest; ManifestDigest is the digest
	// StageX records for the image.
	Manifest       ocispec.Manifest
	ManifestDigest v1.Hash
	// Platform is the platform the manifest was selected for.
	Platform ocispec.Platform
	// Layers point at the verified blobs inside the layout, with their
	// diffIDs from the config; New is false.
	Layers []Layer
}

// ReadLayout reads the image for platform from the OCI layout at dir:
// index.json, then nested image indexes, to the first manifest for the
// platform (by its descriptor's platform, or its config's when the
// descriptor has none). Every blob it touches, layers included, is
// re-hashed; a mismatch is an error naming the blob and the layout.
func ReadLayout(dir string, platform ocispec.Platform) (*Loaded, error) {
	raw, err := readLimited(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, fmt.Errorf("read layout %s: %w", dir, err)
	}
	var idx ocispec.Index
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, fmt.Errorf("read layout %s: parse index.json: %w", dir, err)
	}
	r := &reader{dir: dir, want: platforms.Normalize(platform)}
	img, err := r.find(idx.Manifests, 0)
	if err != nil {
		return nil, err
	}
	if img == nil {
		return nil, fmt.Errorf("read layout %s: no image for platform %s (found: %s)", dir, platforms.Format(r.want), r.foundList())
	}
	if err := r.loadLayers(img); err != nil {
		return nil, err
	}
	return img, nil
}

// reader walks one layout looking for one platform.
type reader struct {
	dir   string
	want  ocispec.Platform
	found []string
}

func (r *reader) foundList() string {
	if len(r.found) == 0 {
		return "no manifests"
	}
	return strings.Join(r.found, ", ")
}

// find returns the first manifest for r.want under descs, or nil.
func (r *reader) find(descs []ocispec.Descriptor, depth int) (*Loaded, error) {
	if depth > 4 {
		return nil, fmt.Errorf("read layout %s: image indexes nested too deep", r.dir)
	}
	for _, d := range descs {
		switch d.MediaType {
		case ocispec.MediaTypeImageIndex, dockerManifestList:
			raw, err := r.blob(d)
			if err != nil {
				return nil, err
			}
			var idx ocispec.Index
			if err := json.Unmarshal(raw, &idx); err != nil {
				return nil, fmt.Errorf("read layout %s: parse image index %s: %w", r.dir, d.Digest, err)
			}
			if img, err := r.find(idx.Manifests, depth+1); img != nil || err != nil {
				return img, err
			}
		case ocispec.MediaTypeImageManifest, dockerManifest:
			if d.Platform != nil && !oci.SamePlatform(*d.Platform, r.want) {
				r.found = append(r.found, platforms.Format(oci.NormalizePlatform(*d.Platform)))
				continue
			}
			img, err := r.manifest(d)
			if err != nil {
				return nil, err
			}
			if oci.SamePlatform(img.Platform, r.want) {
				return img, nil
			}
			r.found = append(r.found, platforms.Format(img.Platform))
		}
	}
	return nil, nil
}

// manifest loads a manifest and its config.
func (r *reader) manifest(d ocispec.Descriptor) (*Loaded, error) {
	raw, err := r.blob(d)
	if err != nil {
		return nil, err
	}
	img := &Loaded{ManifestDigest: hashOf(d)}
	if err := json.Unmarshal(raw, &img.Manifest); err != nil {
		return nil, fmt.Errorf("read layout %s: parse manifest %s: %w", r.dir, d.Digest, err)
	}
	if img.ConfigRaw, err = r.blob(img.Manifest.Config); err != nil {
		return nil, err
	}
	img.ConfigDigest = hashOf(img.Manifest.Config)
	if err := json.Unmarshal(img.ConfigRaw, &img.Config); err != nil {
		return nil, fmt.Errorf("read layout %s: parse config %s: %w", r.dir, img.ConfigDigest, err)
	}
	img.Platform = oci.NormalizePlatform(ocispec.Platform{
		OS: img.Config.OS, Architecture: img.Config.Architecture, Variant: img.Config.Variant,
	})
	return img, nil
}

// loadLayers verifies every layer blob and pairs it with its diffID.
func (r *reader) loadLayers(img *Loaded) error {
	diffIDs := img.Config.RootFS.DiffIDs
	if len(diffIDs) != len(img.Manifest.Layers) {
		return fmt.Errorf("read layout %s: manifest %s has %d layers but its config %d diff_ids", r.dir, img.ManifestDigest, len(img.Manifest.Layers), len(diffIDs))
	}
	for i, d := range img.Manifest.Layers {
		diffID, err := v1.NewHash(diffIDs[i].String())
		if err != nil {
			return fmt.Errorf("read layout %s: config %s: diff_ids[%d]: %w", r.dir, img.ConfigDigest, i, err)
		}
		h := hashOf(d)
		if err := validHash(h); err != nil {
			return fmt.Errorf("read blob %s of %s: %w", d.Digest, r.dir, err)
		}
		p := blobPath(r.dir, h)
		if err := verifyFile(p, h, d.Size, false); err != nil {
			return fmt.Errorf("read blob %s of %s: %w", d.Digest, r.dir, err)
		}
		img.Layers = append(img.Layers, Layer{Path: p, Digest: h, Size: d.Size, DiffID: diffID, MediaType: d.MediaType})
	}
	return nil
}

// blob reads and verifies a small JSON blob.
func (r *reader) blob(d ocispec.Descriptor) ([]byte, error) {
	h := hashOf(d)
	if err := validHash(h); err != nil {
		return nil, fmt.Errorf("read blob %s of %s: %w", d.Digest, r.dir, err)
	}
	if d.Size < 0 || d.Size > maxJSON {
		return nil, fmt.Errorf("read blob %s of %s: size %d out of range", d.Digest, r.dir, d.Size)
	}
	raw, err := readLimited(blobPath(r.dir, h))
	if err != nil {
		return nil, fmt.Errorf("read blob %s of %s: %w", d.Digest, r.dir, err)
	}
	if err := checkContent(sha256Hash(raw), int64(len(raw)), h, d.Size); err != nil {
		return nil, fmt.Errorf("read blob %s of %s: %w", d.Digest, r.dir, err)
	}
	return raw, nil
}

// hashOf converts a descriptor's digest; an unparsable one yields a hash
// that validHash refuses.
func hashOf(d ocispec.Descriptor) v1.Hash {
	h, err := v1.NewHash(d.Digest.String())
	if err != nil {
		return v1.Hash{Algorithm: "invalid", Hex: d.Digest.String()}
	}
	return h
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, maxJSON+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > maxJSON {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxJSON)
	}
	return raw, nil
}
