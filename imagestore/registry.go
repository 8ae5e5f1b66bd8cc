package imagestore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Registry is the source that pulls from the registry a reference names.
// Which hosts speak plain HTTP is decided when the reference is parsed
// (Options.Insecure; go-containerregistry also uses HTTP for localhost and
// 127.0.0.1).
type Registry struct {
	// Keychain resolves credentials; nil means anonymous.
	Keychain authn.Keychain
}

var _ Source = (*Registry)(nil)

func (r *Registry) String() string { return "registry" }

func (r *Registry) Local() bool { return false }

func (r *Registry) opts(ctx context.Context) []remote.Option {
	o := []remote.Option{remote.WithContext(ctx)}
	if r.Keychain != nil {
		o = append(o, remote.WithAuthFromKeychain(r.Keychain))
	}
	return o
}

// Lookup asks the registry for the manifest the tag names.
func (r *Registry) Lookup(ctx context.Context, ref name.Reference) (v1.Hash, error) {
	d, err := remote.Head(ref, r.opts(ctx)...)
	if err != nil {
		// Some registries do not answer HEAD; GET does the same job.
		g, gerr := remote.Get(ref, r.opts(ctx)...)
		if gerr != nil {
			return v1.Hash{}, notFound(gerr)
		}
		return g.Digest, nil
	}
	return d.Digest, nil
}

// Manifest fetches an index or manifest by digest.
func (r *Registry) Manifest(ctx context.Context, repo name.Repository, h v1.Hash) ([]byte, error) {
	d, err := remote.Get(repo.Digest(h.String()), r.opts(ctx)...)
	if err != nil {
		return nil, notFound(err)
	}
	return d.Manifest, nil
}

// Blob streams a config or layer blob.
func (r *Registry) Blob(ctx context.Context, repo name.Repository, h v1.Hash) (io.ReadCloser, error) {
	l, err := remote.Layer(repo.Digest(h.String()), r.opts(ctx)...)
	if err != nil {
		return nil, notFound(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, notFound(err)
	}
	return rc, nil
}

func (r *Registry) Close() error { return nil }

// notFound marks 404 answers so that the resolver tries the next source.
func notFound(err error) error {
	var te *transport.Error
	if errors.As(err, &te) && te.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w: %w", errNotFound, err)
	}
	return err
}
