package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// Steps of WriteLayout at which tests inject failures.
const (
	stepTemp    = "temp"    // temp dir created and locked
	stepBlob    = "blob"    // after each blob
	stepIndex   = "index"   // index.json and oci-layout written
	stepSync    = "sync"    // everything fsynced, before the swap
	stepSwapped = "swapped" // new layout in place, old one not yet removed
)

// errCrash, returned by the test hook, simulates the process dying: the
// writer stops without cleaning up, as after SIGKILL or a power cut.
var errCrash = errors.New("simulated crash")

// hook, when set by tests, runs at each step; an error aborts the write.
var hook func(step string) error

func at(step string) error {
	if hook == nil {
		return nil
	}
	return hook(step)
}

// WriteLayout writes img as a complete OCI image layout at dir, replacing
// whatever layout is there, atomically: it builds the layout in a locked
// temp dir next to dir (same filesystem), fsyncs every file and directory,
// then swaps it into place with renameat2(RENAME_EXCHANGE), or renames it
// when dir does not exist yet, and removes the old layout. A crash or
// Ctrl-C at any point leaves either the old layout or the new one at dir,
// never a mix; concurrent writers end with one complete layout. Temp dirs
// left by dead writers are removed by the next successful write.
func WriteLayout(dir string, img *Image) (err error) {
	dir = filepath.Clean(dir)
	if err := checkTarget(dir); err != nil {
		return err
	}
	tmp, unlock, err := lockedTemp(dir)
	if err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	crashed := false
	defer func() {
		unlock() // closed by the kernel too when a writer dies
		if err != nil && !crashed {
			os.RemoveAll(tmp)
		}
	}()
	fail := func(e error) error {
		crashed = errors.Is(e, errCrash)
		return fmt.Errorf("write layout %s: %w", dir, e)
	}
	if err := at(stepTemp); err != nil {
		return fail(err)
	}
	if err := populate(tmp, img); err != nil {
		return fail(err)
	}
	if err := at(stepSync); err != nil {
		return fail(err)
	}
	old, err := swap(tmp, dir)
	if err != nil {
		return fail(err)
	}
	if err := at(stepSwapped); err != nil {
		return fail(err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("write layout %s: remove old layout: %w", dir, err)
		}
	}
	sweepStale(dir)
	return nil
}

// checkTarget refuses to replace something that is not a directory.
func checkTarget(dir string) error {
	st, err := os.Lstat(dir)
	if err == nil && !st.IsDir() {
		return fmt.Errorf("write layout %s: exists and is not a directory", dir)
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	if err := os.MkdirAll(filepath.Dir(dir), dirMode); err != nil {
		return fmt.Errorf("write layout %s: %w", dir, err)
	}
	return nil
}

// populate writes every file of the layout into the empty dir tmp and
// fsyncs them and the directories.
func populate(tmp string, img *Image) error {
	sha := filepath.Join(tmp, "blobs", "sha256")
	for _, d := range []string{filepath.Join(tmp, "blobs"), sha} {
		if err := os.Mkdir(d, dirMode); err != nil {
			return err
		}
		if err := os.Chmod(d, dirMode); err != nil {
			return err
		}
	}
	if err := writeBlobs(tmp, img); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(tmp, "index.json"), img.IndexJSON, indexMode); err != nil {
		return err
	}
	if err := writeFile(filepath.Join(tmp, "oci-layout"), ociLayout(), layoutMode); err != nil {
		return err
	}
	if err := at(stepIndex); err != nil {
		return err
	}
	for _, d := range []string{sha, filepath.Join(tmp, "blobs"), tmp} {
		if err := atomicfile.SyncDir(d); err != nil {
			return err
		}
	}
	return nil
}

// writeBlobs places each layer once, then the config, manifest and index.
func writeBlobs(tmp string, img *Image) error {
	seen := map[v1.Hash]bool{}
	for _, l := range img.Layers {
		if seen[l.Digest] {
			continue
		}
		seen[l.Digest] = true
		if err := validHash(l.Digest); err != nil {
			return fmt.Errorf("layer %s: %w", l.Path, err)
		}
		if err := placeBlob(l.Path, blobPath(tmp, l.Digest), l.Digest, l.Size); err != nil {
			return fmt.Errorf("blob %s from %s: %w", l.Digest, l.Path, err)
		}
		if err := at(stepBlob); err != nil {
			return err
		}
	}
	for _, b := range []struct {
		h    v1.Hash
		data []byte
	}{{img.ConfigDigest, img.Config}, {img.ManifestDigest, img.Manifest}, {img.IndexDigest, img.Index}} {
		if seen[b.h] || b.data == nil {
			continue
		}
		seen[b.h] = true
		if got := sha256Hash(b.data); got != b.h {
			return fmt.Errorf("blob %s: content hashes to %s", b.h, got)
		}
		if err := writeFile(blobPath(tmp, b.h), b.data, blobMode); err != nil {
			return fmt.Errorf("blob %s: %w", b.h, err)
		}
		if err := at(stepBlob); err != nil {
			return err
		}
	}
	return nil
}
