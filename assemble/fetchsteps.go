package assemble

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// recordFetchStep keeps the layer a fetch step (a RUN that had the network)
// just made, under its cache key, as a blob and its metadata: what a bundle
// carries so that an offline build can reuse it.
func (d *dispatcher) recordFetchStep(ctx context.Context, s *stageState) error {
	if d.b.FetchSteps == "" || s.chain == "" {
		return nil
	}
	l := s.layers[len(s.layers)-1]
	if err := d.ensureBlob(ctx, l); err != nil {
		return err
	}
	if d.b.FetchStepPins != "" {
		if err := pinFetchStep(d.b.FetchStepPins, s.chain, fetchPin{Digest: l.Blob.Digest.String(), DiffID: l.Blob.DiffID.String()}); err != nil {
			return fmt.Errorf("record fetch step: %w", err)
		}
	}
	if err := os.MkdirAll(d.b.FetchSteps, 0o755); err != nil {
		return err
	}
	base := filepath.Join(d.b.FetchSteps, s.chain)
	if err := linkOrCopy(l.Blob.Path, base+".tar.gz"); err != nil {
		return fmt.Errorf("record fetch step: %w", err)
	}
	meta, _ := json.Marshal(cacheMeta{Key: s.chain, Digest: l.Blob.Digest.String(), DiffID: l.Blob.DiffID.String(), Size: l.Blob.Size})
	if err := writeAtomic(base+".json", meta); err != nil {
		return fmt.Errorf("record fetch step: %w", err)
	}
	fmt.Fprintf(d.log, "[%s] recorded fetch step layer %s\n", s.name, l.Blob.DiffID)
	return nil
}

// recordedFetchStep reuses a recorded fetch-step layer for key ck on top
// of the stage (unpacked above its layers, verified), so that an offline
// build needs no network for it. It reports whether it did.
func (d *dispatcher) recordedFetchStep(ctx context.Context, s *stageState, ck string) (bool, error) {
	if d.b.FetchSteps == "" || ck == "" || d.b.Cache == nil {
		return false, nil
	}
	full := key(s.chain, ck)
	if _, ok, _ := d.b.Cache.get(full); ok {
		return false, nil // the ordinary cache path handles it
	}
	base := filepath.Join(d.b.FetchSteps, full)
	data, err := os.ReadFile(base + ".json")
	if err != nil {
		return false, nil
	}
	var m cacheMeta
	if err := json.Unmarshal(data, &m); err != nil || m.Key != full {
		return false, fmt.Errorf("recorded fetch step %s: bad metadata", base+".json")
	}
	if d.b.FetchStepPins != "" {
		pins, err := readFetchPins(d.b.FetchStepPins)
		if err != nil {
			return false, err
		}
		pin, ok := pins[full]
		switch {
		case !ok && d.t.NetworkForFetchSteps:
			return false, nil // run it with the network, and pin it
		case !ok:
			return false, fmt.Errorf("recorded fetch step %s is not pinned in %s: the tree does not vouch for it (the record or the bundle that carried it could say anything); build with --network-for-fetch-steps where it may download, and commit %s", base+".tar.gz", d.b.FetchStepPins, filepath.Base(d.b.FetchStepPins))
		case pin.Digest != m.Digest || pin.DiffID != m.DiffID:
			return false, fmt.Errorf("recorded fetch step %s is layer %s, but %s pins %s: refusing it (the record or the bundle that carried it was altered)", base+".tar.gz", m.Digest, d.b.FetchStepPins, pin.Digest)
		}
	}
	blob, err := blobOf(base+".tar.gz", m)
	if err != nil {
		return false, err
	}
	d.seq++
	dir := filepath.Join(d.work, fmt.Sprintf("fetchstep-%d", d.seq))
	if err := d.materialize(ctx, s.layers); err != nil {
		return false, err
	}
	if err := d.b.Layers.Unpack(ctx, blob, lowerDirs(s.layers), dir); err != nil {
		return false, fmt.Errorf("recorded fetch step %s: %w", base+".tar.gz", err)
	}
	blobDir := filepath.Join(d.work, "blobs")
	if err := os.MkdirAll(blobDir, 0o755); err != nil {
		return false, err
	}
	own := filepath.Join(blobDir, blob.Digest.Hex)
	if err := linkOrCopy(blob.Path, own); err != nil {
		return false, err
	}
	blob.Path = own
	l, err := d.b.Cache.put(full, &Layer{Dir: dir, Blob: blob})
	if err != nil {
		return false, err
	}
	fmt.Fprintf(d.log, "[%s] reused the recorded fetch step layer %s (no network needed)\n", s.name, blob.DiffID)
	s.layers = append(s.layers, l)
	s.chain = full
	return true, nil
}
