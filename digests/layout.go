package digests

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/oci/layout"
)

var tagRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Output is what digests and signatures need to know about a built target:
// the image in its out/<target> layout.
type Output struct {
	// Digest is the image manifest digest: index.json -> manifests[0] ->
	// (image index ->) manifests[0].
	Digest v1.Hash
	// Tag comes from index.json's org.opencontainers.image.ref.name
	// annotation, "latest" when it is absent.
	Tag string
}

// ReadImage reads the image manifest digest and tag of the OCI layout in dir
// (an out/<target> folder) with layout.Recorded: every blob it reads is
// re-hashed; a mismatch is an error naming the blob.
func ReadImage(dir string) (Output, error) {
	img, _, err := ReadRecorded(dir)
	return img, err
}

// ReadRecorded is ReadImage that also returns what layout.Recorded read
// (index.json's bytes and top descriptor), for callers that need more of
// the layout without reading it again.
func ReadRecorded(dir string) (Output, *layout.Recorded, error) {
	rec, err := layout.Dir(dir).Recorded()
	if _, serr := os.Stat(filepath.Join(dir, "index.json")); err != nil && errors.Is(serr, fs.ErrNotExist) {
		return Output{}, nil, fmt.Errorf("%w (is the target built?)", err)
	}
	if err != nil {
		return Output{}, nil, fmt.Errorf("%w; rebuild the target", err)
	}
	tag, err := tagOf(rec.Top)
	if err != nil {
		return Output{}, nil, fmt.Errorf("read %s: %w", filepath.Join(dir, "index.json"), err)
	}
	h, err := v1.NewHash(rec.Manifest.String())
	if err != nil {
		return Output{}, nil, fmt.Errorf("read %s: %w", dir, err)
	}
	return Output{Digest: h, Tag: tag}, rec, nil
}

// tagOf returns the tag recorded in a descriptor's ref.name annotation
// (oci.RefTag: some tools store a full reference there) and checks it.
func tagOf(desc ocispec.Descriptor) (string, error) {
	ref := desc.Annotations[ocispec.AnnotationRefName]
	tag := oci.RefTag(ref)
	if !tagRE.MatchString(tag) {
		return "", fmt.Errorf("annotation %s=%q is not a valid tag", ocispec.AnnotationRefName, ref)
	}
	return tag, nil
}
