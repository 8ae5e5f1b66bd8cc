package imagestore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/containerd/platforms"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/oci/layout"
)

// Options configure a Resolver. Every path and switch is explicit.
type Options struct {
	// Sources are asked in order; the first that has a reference wins.
	Sources []Source
	// StoreDir keeps resolved images (<tree>/.stevedore/images).
	StoreDir string
	// LockFile pins tags by digest (<tree>/stevedore.lock).
	LockFile string
	// Offline refuses unpinned tags and skips sources that are not Local.
	Offline bool
	// UpdateLock re-resolves pinned tags and rewrites their pins.
	UpdateLock bool
	// Insecure lists registry hosts (host[:port]) reached over plain HTTP.
	Insecure []string
}

// Resolver turns image references into OCI layouts in the store.
type Resolver struct {
	o       Options
	mu      sync.Mutex
	lock    Lock
	updated map[string]bool // tags re-resolved in this run (UpdateLock)
	done    map[string]string
}

// New reads the lock file and returns a Resolver.
func New(o Options) (*Resolver, error) {
	l, err := ReadLock(o.LockFile)
	if err != nil {
		return nil, err
	}
	return &Resolver{o: o, lock: l, updated: map[string]bool{}, done: map[string]string{}}, nil
}

// Close closes the sources.
func (r *Resolver) Close() error {
	var errs []error
	for _, s := range r.o.Sources {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// Lock returns a copy of the pins as they are now.
func (r *Resolver) Lock() Lock {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := Lock{}
	for k, v := range r.lock {
		l[k] = v
	}
	return l
}

// Resolve returns an OCI layout holding the image ref names for platform.
// See ResolvePlatforms.
func (r *Resolver) Resolve(ctx context.Context, ref string, platform ocispec.Platform) (string, error) {
	return r.ResolvePlatforms(ctx, ref, []ocispec.Platform{platform})
}

// ResolvePlatforms returns an OCI layout holding the image ref names for
// each of platforms (at least one): the digest of a digest reference, or
// of a tag's pin (resolving and pinning it first when it has none), from
// the store or else copied there from the first source that serves it,
// every blob verified.
func (r *Resolver) ResolvePlatforms(ctx context.Context, ref string, platforms []ocispec.Platform) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	plats := normalize(platforms)
	if len(plats) == 0 {
		return "", fmt.Errorf("resolve %s: no platform", ref)
	}
	key := ref + " " + strings.Join(plats, "+")
	if dir, ok := r.done[key]; ok {
		return dir, nil
	}
	parsed, err := r.parse(ref)
	if err != nil {
		return "", fmt.Errorf("resolve %s: not a valid image reference: %w", ref, err)
	}
	h, fresh, err := r.digest(ctx, ref, parsed)
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", ref, err)
	}
	dir, err := r.fetch(ctx, parsed.Context(), h, platforms)
	if err != nil {
		return "", fmt.Errorf("resolve %s (%s): %w", ref, h, err)
	}
	if fresh != nil {
		if err := r.pin(ref, *fresh); err != nil {
			return "", fmt.Errorf("resolve %s: %w", ref, err)
		}
	}
	r.done[key] = dir
	return dir, nil
}

func (r *Resolver) parse(ref string) (name.Reference, error) {
	p, err := name.ParseReference(ref)
	if err != nil {
		return nil, err
	}
	for _, h := range r.o.Insecure {
		if p.Context().RegistryStr() == h {
			return name.ParseReference(ref, name.Insecure)
		}
	}
	return p, nil
}

// digest is what ref names: its own digest, its pin, or a fresh lookup.
// A fresh lookup (fresh non-nil) is pinned only once the image has been
// fetched and verified (see pin).
func (r *Resolver) digest(ctx context.Context, ref string, parsed name.Reference) (h v1.Hash, fresh *Pin, err error) {
	if d, ok := parsed.(name.Digest); ok {
		h, err := v1.NewHash(d.DigestStr())
		return h, nil, err
	}
	pin, pinned := r.lock[ref]
	if pinned && (!r.o.UpdateLock || r.updated[ref]) {
		return pin.Digest, nil, nil
	}
	if r.o.Offline {
		return v1.Hash{}, nil, fmt.Errorf("not pinned in %s and --offline: build once without --offline to pin it, or name it by digest (%s@sha256:...)", r.o.LockFile, ref)
	}
	var misses []string
	for _, s := range r.o.Sources {
		h, err := s.Lookup(ctx, parsed)
		if errors.Is(err, errNotFound) {
			misses = append(misses, err.Error())
			continue
		}
		if err != nil {
			return v1.Hash{}, nil, fmt.Errorf("look up in %s: %w", s, err)
		}
		return h, &Pin{Digest: h, Source: s.String()}, nil
	}
	return v1.Hash{}, nil, fmt.Errorf("no source has it (%s); add one with --image-source, or drop --offline", r.describeMisses(misses))
}

// pin records ref's verified digest in the lock file. Another build of the
// tree may have added pins since this one read the file: under an flock of
// the lock file's folder, the file is read again, the pin added and the
// file replaced atomically (fsync of the file and of the folder), so that
// no build loses another's pin.
func (r *Resolver) pin(ref string, p Pin) error {
	dir := filepath.Dir(r.o.LockFile)
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("pin %s in %s: %w", ref, r.o.LockFile, err)
	}
	defer d.Close()
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("pin %s: lock %s: %w", ref, dir, err)
	}
	defer unix.Flock(int(d.Fd()), unix.LOCK_UN)
	onDisk, err := ReadLock(r.o.LockFile)
	if err != nil {
		return err
	}
	onDisk[ref] = p
	if err := WriteLock(r.o.LockFile, onDisk); err != nil {
		return err
	}
	for k, v := range onDisk {
		if _, mine := r.updated[k]; !mine || k == ref {
			r.lock[k] = v
		}
	}
	r.updated[ref] = true
	return nil
}

func (r *Resolver) describeMisses(misses []string) string {
	if len(r.o.Sources) == 0 {
		return "no sources configured"
	}
	return strings.Join(misses, "; ")
}

// fetch returns the store layout of h for platforms, copying it from the
// sources when the store lacks it or holds a damaged copy. The layout is
// sha256/<hex>-<os>-<arch>[-<variant>][+...]: one per digest and set of
// platforms, so that a layout in use is never rewritten.
func (r *Resolver) fetch(ctx context.Context, repo name.Repository, h v1.Hash, platforms []ocispec.Platform) (string, error) {
	if h.Algorithm != "sha256" || len(h.Hex) != 64 {
		return "", fmt.Errorf("unsupported digest %s", h)
	}
	dir := filepath.Join(r.o.StoreDir, "sha256", h.Hex+"-"+strings.ReplaceAll(strings.Join(normalize(platforms), "+"), "/", "-"))
	if inStore(dir, h, platforms) {
		return dir, nil
	}
	var tried []string
	for _, s := range r.o.Sources {
		if r.o.Offline && !s.Local() {
			continue
		}
		err := r.copyFrom(ctx, s, repo, h, platforms, dir)
		if errors.Is(err, errNotFound) {
			tried = append(tried, err.Error())
			continue
		}
		if err != nil {
			return "", err
		}
		return dir, nil
	}
	if len(tried) == 0 {
		return "", fmt.Errorf("not in the store %s and no source to fetch it from (add --image-source, or drop --offline)", r.o.StoreDir)
	}
	return "", fmt.Errorf("not in the store and no source serves it any more (%s)", strings.Join(tried, "; "))
}

// inStore reports whether dir is a complete layout of h for platforms;
// layout.Resolve re-hashes every blob.
func inStore(dir string, h v1.Hash, platforms []ocispec.Platform) bool {
	l := layout.Dir(dir)
	_, ix, err := l.Index()
	if err != nil || len(ix.Manifests) != 1 || ix.Manifests[0].Digest.String() != h.String() {
		return false
	}
	for _, p := range platforms {
		if _, err := l.Resolve(p); err != nil {
			return false
		}
	}
	return true
}

// normalize returns the sorted, distinct, normalised platform strings.
func normalize(plats []ocispec.Platform) []string {
	var out []string
	for _, p := range plats {
		out = append(out, platforms.Format(platforms.Normalize(p)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// copyFrom writes the layout with layout.Create next to dir, checks it
// with layout.Resolve for every platform and swaps it into place
// (replacing a damaged copy; a complete one returned earlier).
func (r *Resolver) copyFrom(ctx context.Context, s Source, repo name.Repository, h v1.Hash, plats []ocispec.Platform, dir string) error {
	w, err := layout.Create(dir)
	if err != nil {
		return err
	}
	defer w.Close()
	var top v1.Descriptor
	for _, p := range plats {
		c := &copier{ctx: ctx, src: s, repo: repo, w: w, want: oci.NormalizePlatform(p)}
		if top, err = c.top(h); err != nil {
			return err
		}
	}
	ix := v1.IndexManifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json", Manifests: []v1.Descriptor{top}}
	raw, err := json.Marshal(ix)
	if err != nil {
		return err
	}
	return w.Commit(raw, func(l *layout.Layout) error {
		for _, p := range plats {
			if _, err := l.Resolve(p); err != nil {
				return fmt.Errorf("from %s: %w", s, err)
			}
		}
		return nil
	})
}
