package image

import (
	"fmt"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/layers"
)

// Layer is one layer of an image, in rootfs order.
type Layer struct {
	// Path is the file holding the compressed blob. WriteLayout hard-links
	// or copies it; ReadLayout sets it to the blob inside the layout.
	Path string
	// Blob is the compressed blob's identity: Digest and Size for the
	// descriptor, DiffID (of the uncompressed tar) for rootfs.diff_ids.
	layers.Blob
	// MediaType is the blob's type; "" means OCI tar+gzip. Docker's gzip
	// type is converted to OCI's, as BuildKit's OCI exporter does.
	MediaType string
	// New says the layer was built in this build. BuildKit rewrites such
	// layers to the epoch and marks their descriptor with
	// buildkit/rewritten-timestamp; base layers it reuses untouched and
	// unmarked. Assemble checks this against the base config.
	New bool
}

// Input is what the executor hands over after running a target's stages.
type Input struct {
	// Config is the final stage's image config as the Dockerfile frontend
	// has it: EmptyImage or FromBase, then every instruction applied, with
	// one History entry per instruction (see commitToHistory). Its RootFS
	// and Created are ignored/replaced as BuildKit's exporter does.
	Config dockerspec.DockerOCIImage
	// Base is the unmodified config of the image the final stage is FROM
	// (nil for FROM scratch). Its leading history times are kept and its
	// layers are not rewritten.
	Base *dockerspec.DockerOCIImage
	// Layers are the base's layers followed by the new ones.
	Layers []Layer
	// Platform is the target platform; it lands in the image index.
	Platform ocispec.Platform
}

// Export holds the exporter options that shape the JSON.
type Export struct {
	// Epoch is SOURCE_DATE_EPOCH: history and created times are clamped
	// to it, and it is index.json's org.opencontainers.image.created.
	Epoch time.Time
	// Name is the exporter's name= option, e.g. "core-foo"; it becomes
	// index.json's io.containerd.image.name and ref.name. Empty: no name.
	Name string
	// Annotations are the exporter's bare annotation.<key>=<value>
	// options; BuildKit puts them on the image manifest only.
	Annotations map[string]string
	// SinglePlatform is a build without BUILDKIT_MULTI_PLATFORM (docker
	// buildx build of one platform): index.json points at the manifest
	// itself, with the platform, and there is no image index blob.
	SinglePlatform bool
}

// StageXExport returns the export options StageX's Makefile passes for
// target name (<stage>-<name>) at version ("" means "latest").
func StageXExport(epoch time.Time, name, version string) Export {
	if version == "" {
		version = "latest"
	}
	return Export{
		Epoch: epoch,
		Name:  name,
		Annotations: map[string]string{
			"containerd.io/distribution.source.docker.io": "stagex/" + name,
			"org.opencontainers.image.version":            version,
			"org.opencontainers.image.created":            "1970-01-01T00:00:01Z",
		},
	}
}

// Assembled is an assembled image: every JSON document, byte for byte, and
// the layers it references.
type Assembled struct {
	// Config, Manifest and Index are the three JSON blobs; IndexJSON is
	// the layout's index.json, which points at Index (at Manifest, and
	// Index is nil, for a single-platform export).
	Config, Manifest, Index, IndexJSON []byte
	// ConfigDigest, ManifestDigest and IndexDigest are their sha256
	// digests. ManifestDigest is the digest StageX records and signs.
	ConfigDigest, ManifestDigest, IndexDigest v1.Hash
	// Layers are the input layers with media types normalised.
	Layers []Layer
}

// Assemble computes the config, manifest, image index and index.json of
// the image described by in, as BuildKit exports it with options exp.
func Assemble(in Input, exp Export) (*Assembled, error) {
	if exp.Epoch.IsZero() {
		return nil, fmt.Errorf("assemble image: no epoch")
	}
	layers, err := checkLayers(in.Layers, in.Base)
	if err != nil {
		return nil, err
	}
	// Appended, as BuildKit's exporter does: an image without layers has
	// "diff_ids": null in its config, not [].
	var diffIDs []digest.Digest
	for _, l := range layers {
		diffIDs = append(diffIDs, digest.Digest(l.DiffID.String()))
	}
	config, err := ConfigBlob(in.Config, in.Base, diffIDs, exp.Epoch)
	if err != nil {
		return nil, fmt.Errorf("assemble image config: %w", err)
	}
	img := &Assembled{Config: config, ConfigDigest: sha256Hash(config), Layers: layers}
	img.Manifest, err = manifestBlob(config, layers, exp)
	if err != nil {
		return nil, err
	}
	img.ManifestDigest = sha256Hash(img.Manifest)
	if exp.SinglePlatform {
		img.IndexJSON, err = manifestIndexJSON(img.Manifest, in.Platform, exp)
		return img, err
	}
	img.Index, err = indexBlob(img.Manifest, in.Platform)
	if err != nil {
		return nil, err
	}
	img.IndexDigest = sha256Hash(img.Index)
	img.IndexJSON, err = indexJSON(img.Index, exp)
	if err != nil {
		return nil, err
	}
	return img, nil
}

// checkLayers validates the layers, normalises their media types and
// checks each New flag against BuildKit's rule: a layer is left alone
// exactly when it and all before it match the base's diff_ids.
func checkLayers(in []Layer, base *dockerspec.DockerOCIImage) ([]Layer, error) {
	out := make([]Layer, len(in))
	diverged := false
	for i, l := range in {
		if l.Digest.Algorithm != "sha256" || l.DiffID.Algorithm != "sha256" || l.Size <= 0 {
			return nil, fmt.Errorf("layer %d (%s): need sha256 digest, sha256 diffID and a size", i, l.Digest)
		}
		mt, err := layerMediaType(l.MediaType)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i, l.Digest, err)
		}
		l.MediaType = mt
		immutable := false
		if !diverged && base != nil && i < len(base.RootFS.DiffIDs) {
			immutable = base.RootFS.DiffIDs[i].String() == l.DiffID.String()
			diverged = !immutable
		}
		if immutable == l.New {
			return nil, fmt.Errorf("layer %d (%s): New=%v, but BuildKit would %s it: %s", i, l.Digest, l.New, verb(immutable), reason(immutable))
		}
		out[i] = l
	}
	return out, nil
}

func verb(immutable bool) string {
	if immutable {
		return "reuse"
	}
	return "rewrite"
}

func reason(immutable bool) string {
	if immutable {
		return "its diffID and all before it match the base image's diff_ids"
	}
	return "it is not part of the base image's leading diff_ids"
}

func layerMediaType(mt string) (string, error) {
	switch mt {
	case "", ocispec.MediaTypeImageLayerGzip, "application/vnd.docker.image.rootfs.diff.tar.gzip":
		return ocispec.MediaTypeImageLayerGzip, nil
	}
	return "", fmt.Errorf("unsupported layer media type %q: only gzip layers are exported as BuildKit does with force-compression", mt)
}

func sha256Hash(b []byte) v1.Hash {
	d := digest.FromBytes(b)
	return v1.Hash{Algorithm: d.Algorithm().String(), Hex: d.Encoded()}
}
