package assemble

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/stevedore-build/stevedore/layers"
)

// lowerDirs lists a stage's layer directories bottom first, the order of
// the image's layers and the order layers.Mount, MountReadOnly, Unpack and
// the differ take (layers turns it into overlayfs's topmost-first option
// itself, in one place).
func lowerDirs(ls []*Layer) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Dir)
	}
	return out
}

// commit runs op on the stage's filesystem mounted with a fresh overlay
// upper directory, then turns the upper directory into the stage's next
// layer, exactly as BuildKit's overlay snapshotter and differ do.
//
// With a cache, ck (the instruction's key on top of the stage's chain)
// selects a cached result instead, and a new result is published there.
func (d *dispatcher) commit(ctx context.Context, s *stageState, ck string, op func(root string) error) error {
	return d.commitLinked(ctx, s, ck, false, op)
}

// commitLinked is commit; with linked (COPY --link), op runs on an empty
// filesystem and its result is stacked on the stage as a layer of its
// own, as BuildKit's merge of a scratch copy does.
func (d *dispatcher) commitLinked(ctx context.Context, s *stageState, ck string, linked bool, op func(root string) error) error {
	if ck != "" {
		if d.useCached(s, ck) {
			return nil
		}
		ck = key(s.chain, ck)
	}
	var lowers []string // a --link copy runs on nothing
	if !linked {
		if err := d.materialize(ctx, s.layers); err != nil {
			return err
		}
		lowers = lowerDirs(s.layers)
	}
	upper, err := d.newDir("layer")
	if err != nil {
		return err
	}
	work, err := d.newDir("work")
	if err != nil {
		return err
	}
	merged, err := d.newDir("mnt")
	if err != nil {
		return err
	}
	unmount, err := layers.Mount(lowers, upper, work, merged)
	if err != nil {
		return fmt.Errorf("mount stage filesystem: %w", err)
	}
	opErr := op(merged)
	if err := unmount(); err != nil && opErr == nil {
		opErr = fmt.Errorf("unmount stage filesystem: %w", err)
	}
	os.Remove(merged)
	os.RemoveAll(work)
	if opErr != nil {
		return opErr
	}
	l := &Layer{Dir: upper, below: slices.Clone(s.layers)}
	if linked {
		// The differ compares a --link layer with nothing; its blob is
		// written now, so that a cached entry never needs to know.
		l.below = nil
		if err := d.ensureBlob(ctx, l); err != nil {
			return err
		}
	}
	if ck != "" && d.b.Cache != nil {
		below := l.below
		if l, err = d.b.Cache.put(ck, l); err != nil {
			return err
		}
		l.below = below
	}
	s.layers = append(s.layers, l)
	s.chain = ck
	return nil
}

// ensureBlob writes the layer's blob unless it has one: from its cache
// entry when a build wrote it there before, else by running the differ
// on its directory against the layers below it (published to the cache
// entry for the next build).
func (d *dispatcher) ensureBlob(ctx context.Context, l *Layer) error {
	if l.Blob.Path != "" {
		return nil
	}
	if l.key != "" {
		if b, ok := d.b.Cache.blob(l.key); ok {
			l.Blob = b
			return nil
		}
	}
	if err := d.materialize(ctx, l.below); err != nil {
		return err
	}
	blobDir := filepath.Join(d.work, "blobs")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		return err
	}
	b, err := d.b.Layers.Commit(ctx, lowerDirs(l.below), l.Dir, blobDir, d.t.Epoch)
	if err != nil {
		return fmt.Errorf("write layer: %w", err)
	}
	if l.key != "" {
		if b, err = d.b.Cache.putBlob(l.key, b); err != nil {
			return err
		}
	}
	l.Blob = b
	return nil
}

// ensureBlobs writes the blobs of every layer of ls that lacks one.
func (d *dispatcher) ensureBlobs(ctx context.Context, ls []*Layer) error {
	for _, l := range ls {
		if err := d.ensureBlob(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

// useCached appends the cached result of the instruction key ck (as
// commit takes it) to the stage and reports whether there was one.
func (d *dispatcher) useCached(s *stageState, ck string) bool {
	if ck == "" || d.b.Cache == nil {
		return false
	}
	full := key(s.chain, ck)
	l, ok, problem := d.b.Cache.get(full)
	if problem != nil {
		fmt.Fprintf(d.log, "[%s] %v\n", s.name, problem)
	}
	if !ok {
		return false
	}
	if l.Blob.Path != "" {
		fmt.Fprintf(d.log, "[%s] cached %s\n", s.name, l.Blob.DiffID)
	} else {
		// No output contained this layer yet: it has no blob, no diffID.
		fmt.Fprintf(d.log, "[%s] cached layer %s\n", s.name, filepath.Base(d.b.Cache.entry(full)))
	}
	l.below = slices.Clone(s.layers)
	s.layers = append(s.layers, l)
	s.chain = full
	return true
}

// withMounted mounts a stage's filesystem read-only for reading (a COPY
// --from source) and calls fn with its root.
func (d *dispatcher) withMounted(ctx context.Context, ls []*Layer, fn func(root string) error) error {
	if len(ls) == 0 {
		empty, err := d.newDir("empty")
		if err != nil {
			return err
		}
		return fn(empty)
	}
	if err := d.materialize(ctx, ls); err != nil {
		return err
	}
	mnt, err := d.newDir("ro")
	if err != nil {
		return err
	}
	unmount, err := layers.MountReadOnly(lowerDirs(ls), mnt)
	if err != nil {
		return fmt.Errorf("mount source filesystem: %w", err)
	}
	fnErr := fn(mnt)
	if err := unmount(); err != nil && fnErr == nil {
		fnErr = err
	}
	os.Remove(mnt)
	return fnErr
}
