package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// Image layers (a dependency's or a base image's) are unpacked only when a
// build step mounts them, and then once for all targets and builds: the
// LayerCache keeps each unpacked layer as a snapshot keyed by its chain
// (the diffIDs of the layer and every layer below it, which is what an
// unpacked layer depends on), as containerd's snapshotters key theirs by
// chain ID. A cache hit on an instruction that reads an image (COPY --from
// a dependency whose result is cached) unpacks nothing.

// snapshotMeta is <Dir>/s<chain[:23]>/meta.json beside the unpacked f/.
type snapshotMeta struct {
	Chain string `json:"chain"`
}

// snapshotEntry is the entry directory of chain: 24 characters like a
// layer entry, starting with "s" so that it never equals a hex key.
func (c *LayerCache) snapshotEntry(chain string) string {
	return filepath.Join(c.Dir, "s"+chain[:23])
}

// snapshot returns the unpacked directory of chain when it is published.
func (c *LayerCache) snapshot(chain string) (string, bool) {
	dir := c.snapshotEntry(chain)
	data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return "", false
	}
	var m snapshotMeta
	if json.Unmarshal(data, &m) != nil || m.Chain != chain {
		return "", false
	}
	if fi, err := os.Stat(filepath.Join(dir, "f")); err != nil || !fi.IsDir() {
		return "", false
	}
	return filepath.Join(dir, "f"), true
}

// publishSnapshot unpacks with unpack (into a directory that must not
// exist yet) and publishes the result under chain with one rename, after
// the filesystem was synced, so that a crash never leaves a published
// snapshot half-written. When another build published chain first, its
// snapshot wins and this one is discarded.
func (c *LayerCache) publishSnapshot(chain string, unpack func(dir string) error) (string, error) {
	if dir, ok := c.snapshot(chain); ok {
		return dir, nil
	}
	err := c.publish(c.snapshotEntry(chain), snapPrefix, func(tmp string) (any, error) {
		return snapshotMeta{Chain: chain}, unpack(filepath.Join(tmp, "f"))
	})
	if err != nil {
		return "", fmt.Errorf("publish snapshot: %w", err)
	}
	dir, ok := c.snapshot(chain)
	if !ok {
		return "", fmt.Errorf("snapshot %s: entry unreadable after publishing", chain)
	}
	return dir, nil
}

// materialize unpacks the image layers of ls that are not unpacked yet,
// bottom first, each above the ones below it. ls is a stage's layer stack;
// an image layer only ever appears above the same layers (its image's
// lower ones), so its unpacked directory is shared by every stage.
func (d *dispatcher) materialize(ctx context.Context, ls []*Layer) error {
	for i, l := range ls {
		if l.Dir != "" {
			continue
		}
		lowers := lowerDirs(ls[:i])
		unpack := func(dir string) error {
			if err := d.b.Layers.Unpack(ctx, l.Blob, lowers, dir); err != nil {
				return fmt.Errorf("unpack layer %s: %w", l.Blob.Digest, err)
			}
			return nil
		}
		if d.b.Cache == nil {
			d.seq++
			dir := filepath.Join(d.work, fmt.Sprintf("base-%d", d.seq))
			if err := unpack(dir); err != nil {
				return err
			}
			l.Dir = dir
			continue
		}
		dir, err := d.b.Cache.publishSnapshot(imageChain(ls[:i+1]), unpack)
		if err != nil {
			return err
		}
		l.Dir = dir
	}
	return nil
}
