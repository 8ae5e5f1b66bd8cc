package digests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
)

// maxMetadataBlob bounds the size of an index or manifest blob read into
// memory; real ones are a few KiB.
const maxMetadataBlob = 4 << 20

// Media types of the documents walked from index.json.
const (
	mediaOCIIndex      = "application/vnd.oci.image.index.v1+json"
	mediaDockerList    = "application/vnd.docker.distribution.manifest.list.v2+json"
	mediaOCIManifest   = "application/vnd.oci.image.manifest.v1+json"
	mediaDockerImageV2 = "application/vnd.docker.distribution.manifest.v2+json"
)

var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Image is what digests and signatures need to know about a built target.
type Image struct {
	// Digest is the image manifest digest: index.json -> manifests[0] ->
	// (image index ->) manifests[0].
	Digest v1.Hash
	// Tag comes from index.json's org.opencontainers.image.ref.name
	// annotation, "latest" when it is absent.
	Tag string
}

// ReadImage reads the image manifest digest and tag of the OCI layout in dir
// (an out/<target> folder). Every blob it reads is re-hashed; a mismatch is an
// error naming the blob.
func ReadImage(dir string) (Image, error) {
	top, err := readIndexJSON(dir)
	if err != nil {
		return Image{}, err
	}
	desc := top.Manifests[0]
	tag, err := tagOf(desc)
	if err != nil {
		return Image{}, fmt.Errorf("read %s: %w", filepath.Join(dir, "index.json"), err)
	}
	body, err := readBlob(dir, desc.Digest)
	if err != nil {
		return Image{}, err
	}
	if !isIndex(string(desc.MediaType), body) {
		return Image{Digest: desc.Digest, Tag: tag}, nil
	}
	inner, err := v1.ParseIndexManifest(bytes.NewReader(body))
	if err != nil || len(inner.Manifests) == 0 {
		return Image{}, fmt.Errorf("read image index %s in %s: no manifests (%v); rebuild the target", desc.Digest, dir, err)
	}
	m := inner.Manifests[0]
	mbody, err := readBlob(dir, m.Digest)
	if err != nil {
		return Image{}, err
	}
	if isIndex(string(m.MediaType), mbody) {
		return Image{}, fmt.Errorf("read image index %s in %s: manifests[0] %s is an index, want an image manifest", desc.Digest, dir, m.Digest)
	}
	return Image{Digest: m.Digest, Tag: tag}, nil
}

func readIndexJSON(dir string) (*v1.IndexManifest, error) {
	path := filepath.Join(dir, "index.json")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w (is the target built?)", err)
	}
	defer f.Close()
	idx, err := v1.ParseIndexManifest(io.LimitReader(f, maxMetadataBlob))
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if len(idx.Manifests) == 0 {
		return nil, fmt.Errorf("read %s: no manifests; rebuild the target", path)
	}
	return idx, nil
}

// tagOf returns the tag recorded in a descriptor's ref.name annotation
// (oci.RefTag: some tools store a full reference there) and checks it.
func tagOf(desc v1.Descriptor) (string, error) {
	ref := desc.Annotations[ocispec.AnnotationRefName]
	tag := oci.RefTag(ref)
	if !tagRE.MatchString(tag) {
		return "", fmt.Errorf("annotation %s=%q is not a valid tag", ocispec.AnnotationRefName, ref)
	}
	return tag, nil
}

// isIndex reports whether a blob is an image index, from the descriptor's
// media type or, when that is empty, from the blob's own mediaType field.
func isIndex(mediaType string, body []byte) bool {
	if mediaType == "" {
		var probe struct {
			MediaType string          `json:"mediaType"`
			Manifests json.RawMessage `json:"manifests"`
		}
		_ = json.Unmarshal(body, &probe)
		mediaType = probe.MediaType
		if mediaType == "" && probe.Manifests != nil {
			return true
		}
	}
	return mediaType == mediaOCIIndex || mediaType == mediaDockerList
}

// readBlob reads a metadata blob of the layout in dir and checks its digest.
func readBlob(dir string, h v1.Hash) ([]byte, error) {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 {
		return nil, fmt.Errorf("read blob %s in %s: unsupported digest", h, dir)
	}
	path := filepath.Join(dir, "blobs", h.Algorithm, h.Hex)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w; rebuild the target", h, err)
	}
	defer f.Close()
	body, err := io.ReadAll(io.LimitReader(f, maxMetadataBlob+1))
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", path, err)
	}
	if len(body) > maxMetadataBlob {
		return nil, fmt.Errorf("read blob %s: larger than %d bytes, not a manifest", path, maxMetadataBlob)
	}
	got, _, err := v1.SHA256(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("hash blob %s: %w", path, err)
	}
	if got != h {
		return nil, fmt.Errorf("verify blob %s: content hashes to %s; the layout is corrupt, rebuild the target", path, got)
	}
	return body, nil
}
