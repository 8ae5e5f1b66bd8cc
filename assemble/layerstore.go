package assemble

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/stevedore-build/stevedore/layers"
)

// OverlayLayers is the LayerStore of a real build: layers are written by
// the layers package from overlayfs upper directories.
type OverlayLayers struct{}

var _ LayerStore = OverlayLayers{}

// Commit mounts the lower view and writes upper's layer as a gzip blob
// named by its digest in blobDir.
func (OverlayLayers) Commit(ctx context.Context, lowers []string, upper, blobDir string, epoch time.Time) (Blob, error) {
	view, err := os.MkdirTemp(blobDir, ".lower-")
	if err != nil {
		return Blob{}, err
	}
	defer os.Remove(view)
	// With no lowers the view stays an empty directory: the differ
	// compares against it (never against the host's root).
	lowerView := view
	if len(lowers) > 0 {
		unmount, err := layers.MountReadOnly(lowers, view)
		if err != nil {
			return Blob{}, fmt.Errorf("mount lower view: %w", err)
		}
		defer unmount()
	}
	f, err := os.CreateTemp(blobDir, ".blob-")
	if err != nil {
		return Blob{}, err
	}
	defer os.Remove(f.Name())
	b, err := layers.WriteLayer(ctx, f, lowerView, upper, epoch)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Blob{}, err
	}
	path := filepath.Join(blobDir, b.Digest.Hex)
	if err := os.Rename(f.Name(), path); err != nil {
		return Blob{}, err
	}
	return Blob{Path: path, Blob: b}, nil
}

// Unpack extracts a verified blob into dir in overlayfs format.
func (OverlayLayers) Unpack(ctx context.Context, blob Blob, lowers []string, dir string) error {
	f, err := os.Open(blob.Path)
	if err != nil {
		return err
	}
	defer f.Close()
	return layers.Unpack(ctx, f, blob.Blob, lowers, dir)
}
