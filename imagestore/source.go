package imagestore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/stevedore-build/stevedore/oci/layout"
)

// errNotFound says a source does not hold a reference or blob; the
// resolver then asks the next source.
var errNotFound = errors.New("not found")

// maxJSON bounds an index, manifest or config read into memory: the one
// limit of oci/layout.
const maxJSON = layout.MaxJSON

// Source is one place images come from. What it returns is unverified:
// the resolver re-hashes every byte.
type Source interface {
	// String names the source in the lock file and in messages.
	String() string
	// Local is false for sources that need the network (registries).
	Local() bool
	// Lookup returns the digest of what ref (a tag) names, or an error
	// wrapping errNotFound.
	Lookup(ctx context.Context, ref name.Reference) (v1.Hash, error)
	// Manifest returns the raw bytes of the index or manifest h of repo.
	Manifest(ctx context.Context, repo name.Repository, h v1.Hash) ([]byte, error)
	// Blob opens the blob h (config or layer) of repo.
	Blob(ctx context.Context, repo name.Repository, h v1.Hash) (io.ReadCloser, error)
	// Close releases open files.
	Close() error
}

// ParseSource parses the --image-source syntax: DIR, oci:DIR or
// oci-dir:DIR (an OCI layout, as stevedore export --format oci-dir writes
// it), oci-archive:FILE, docker-archive:FILE.
func ParseSource(s string) (Source, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return &localSource{kind: "oci", path: s}, nil
	}
	if kind == "oci-dir" {
		kind = "oci"
	}
	switch kind {
	case "oci", "oci-archive", "docker-archive":
		if rest == "" {
			return nil, fmt.Errorf("image source %q: no path after %s:", s, kind)
		}
		return &localSource{kind: kind, path: rest}, nil
	}
	return nil, fmt.Errorf("image source %q: want DIR, oci:DIR, oci-archive:FILE or docker-archive:FILE", s)
}

// readJSON reads a small document from rc, bounded by maxJSON.
func readJSON(rc io.ReadCloser) ([]byte, error) {
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxJSON+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxJSON {
		return nil, fmt.Errorf("larger than %d bytes", maxJSON)
	}
	return b, nil
}

// sameName reports whether an annotation or RepoTags value names ref.
func sameName(s string, ref name.Reference) bool {
	r, err := name.ParseReference(s, name.WeakValidation)
	return err == nil && r.Name() == ref.Name()
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
