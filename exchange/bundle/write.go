package bundle

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// write puts one member in place: a source directly (atomically), an image
// file into its image's temp directory.
func (u *unpacker) write(r io.Reader, mb Member) error {
	if isPlainFile(mb.Path) {
		if u.skip[mb.Path] {
			u.rep.SkippedSources++
			return nil
		}
		dst := filepath.Join(u.tree, filepath.FromSlash(mb.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		u.rep.Sources++
		return atomicfile.Write(dst, func(w io.Writer) error { return copyChecked(w, r, mb) })
	}
	parts := strings.SplitN(mb.Path, "/", 3) // out, <image>, rest
	image, rest := parts[1], parts[2]
	if u.skip[image] {
		return nil
	}
	dir, err := u.imageTemp(image)
	if err != nil {
		return err
	}
	dst := filepath.Join(dir, filepath.FromSlash(rest))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := copyChecked(f, r, mb); err != nil {
		return err
	}
	return f.Sync()
}

// copyChecked copies a member and re-checks its hash: the bundle file may
// have changed since Verify read it.
func copyChecked(w io.Writer, r io.Reader, mb Member) error {
	sum, n, err := hashCopy(w, r)
	if err != nil {
		return fmt.Errorf("member %s: %w", mb.Path, err)
	}
	if sum != mb.SHA256 || n != mb.Size {
		return fmt.Errorf("member %s changed since it was verified", mb.Path)
	}
	return nil
}

func (u *unpacker) imageTemp(image string) (string, error) {
	if d, ok := u.tmp[image]; ok {
		return d, nil
	}
	out := filepath.Join(u.tree, "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	// Flocked temp dirs as WriteLayout makes them: either sweeps the other's
	// dead ones (an unbundle or build killed before its rename).
	final := filepath.Join(out, image)
	atomicfile.Sweep(final)
	d, unlock, err := atomicfile.TempDir(final)
	if err != nil {
		return "", err
	}
	u.unlocks = append(u.unlocks, unlock)
	if err := os.Chmod(d, 0o755); err != nil {
		return "", err
	}
	u.tmp[image] = d
	return d, nil
}

// release drops the locks of the image temp dirs.
func (u *unpacker) release() {
	for _, unlock := range u.unlocks {
		unlock()
	}
}

// finishImages renames each complete image into out/.
func (u *unpacker) finishImages() error {
	images := make([]string, 0, len(u.tmp))
	for im := range u.tmp {
		images = append(images, im)
	}
	sort.Strings(images)
	for _, im := range images {
		if err := atomicfile.SyncDir(u.tmp[im]); err != nil {
			return err
		}
		if err := os.Rename(u.tmp[im], filepath.Join(u.tree, "out", im)); err != nil {
			return fmt.Errorf("put image %s in place: %w", im, err)
		}
		delete(u.tmp, im)
		u.rep.Images++
	}
	u.rep.SkippedImages = len(u.m.Images) - u.rep.Images
	if len(images) == 0 {
		return nil // nothing was put into out/ (it may not even exist)
	}
	return atomicfile.SyncDir(filepath.Join(u.tree, "out"))
}

// cleanup removes the temp directories of images not put in place.
func (u *unpacker) cleanup() {
	for _, d := range u.tmp {
		os.RemoveAll(d)
	}
}

// isPlainFile reports members written as single files into the tree:
// sources and recorded fetch-step layers (images are written whole).
func isPlainFile(p string) bool {
	return strings.HasPrefix(p, "fetch/") || strings.HasPrefix(p, FetchStepsDir+"/") ||
		strings.HasPrefix(p, ImageStoreDir+"/") || p == LockFile
}
