package layout

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// Modes of what a Writer creates: those of the tar BuildKit's OCI exporter
// sends (containerd's archive exporter), so that a layout does not depend
// on the writer's umask.
const (
	blobMode   fs.FileMode = 0o444
	indexMode  fs.FileMode = 0o644
	layoutMode fs.FileMode = 0o444
	dirMode    fs.FileMode = 0o755
)

// LayoutFile is the content of every layout's oci-layout file.
const LayoutFile = `{"imageLayoutVersion":"1.0.0"}`

// Steps of a write at which tests inject failures.
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

// Writer builds a layout that replaces the one at its target when
// committed. Add every blob, then Commit with index.json; Close always
// (after Commit it does nothing). A Writer is not safe for concurrent use;
// concurrent Writers of one target end with one complete layout.
type Writer struct {
	dir, tmp string
	unlock   func()
	seen     map[digest.Digest]bool
	done     bool // committed
	crashed  bool // a test's simulated crash: leave everything as it is
}

// Create starts a layout that will replace whatever layout is at dir: it
// makes a locked temp dir next to dir (same filesystem, hidden so that
// nothing listing out/ mistakes it for a layout) with an empty blobs/sha256.
// dir must be a directory or absent.
func Create(dir string) (_ *Writer, err error) {
	dir = filepath.Clean(dir)
	if err := checkTarget(dir); err != nil {
		return nil, fmt.Errorf("write layout %s: %w", dir, err)
	}
	tmp, unlock, err := lockedTemp(dir)
	if err != nil {
		return nil, fmt.Errorf("write layout %s: %w", dir, err)
	}
	w := &Writer{dir: dir, tmp: tmp, unlock: unlock, seen: map[digest.Digest]bool{}}
	defer func() {
		if err != nil {
			w.Close()
		}
	}()
	if err := w.check(at(stepTemp)); err != nil {
		return nil, err
	}
	sha := filepath.Join(tmp, "blobs", "sha256")
	for _, d := range []string{filepath.Join(tmp, "blobs"), sha} {
		if err := os.Mkdir(d, dirMode); err != nil {
			return nil, w.check(err)
		}
		if err := os.Chmod(d, dirMode); err != nil {
			return nil, w.check(err)
		}
	}
	return w, nil
}

// check wraps a failed step's error and notes a simulated crash.
func (w *Writer) check(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, errCrash) {
		w.crashed = true
	}
	return fmt.Errorf("write layout %s: %w", w.dir, err)
}

// Has reports whether blob dg was added.
func (w *Writer) Has(dg digest.Digest) bool { return w.seen[dg] }

// AddFile adds blob dg of size bytes from the file src. It hard-links
// when src is a read-only (0444) regular file, so that linking changes
// nothing about the result, and copies otherwise; either way the content
// is hashed and compared before it counts, and fsynced. A blob added
// before is skipped.
func (w *Writer) AddFile(src string, dg digest.Digest, size int64) error {
	if w.seen[dg] {
		return nil
	}
	dst, err := BlobPath(w.tmp, dg)
	if err != nil {
		return w.check(fmt.Errorf("blob from %s: %w", src, err))
	}
	if err := placeFile(src, dst, dg, size); err != nil {
		return w.check(fmt.Errorf("blob %s from %s: %w", dg, src, err))
	}
	return w.added(dg)
}

// AddBytes adds data as blob dg; data must hash to dg.
func (w *Writer) AddBytes(dg digest.Digest, data []byte) error {
	if w.seen[dg] {
		return nil
	}
	if err := CheckDigest(dg); err != nil {
		return w.check(err)
	}
	if got := digest.FromBytes(data); got != dg {
		return w.check(fmt.Errorf("blob %s: content hashes to %s", dg, got))
	}
	dst, _ := BlobPath(w.tmp, dg)
	if err := writeFile(dst, data, blobMode); err != nil {
		return w.check(fmt.Errorf("blob %s: %w", dg, err))
	}
	return w.added(dg)
}

// AddStream adds blob dg from r, hashed while it is copied: content that
// does not hash to dg or, when size >= 0, has another size is refused with
// an error naming the blob and from, where r comes from.
func (w *Writer) AddStream(dg digest.Digest, size int64, r io.Reader, from string) error {
	if w.seen[dg] {
		return nil
	}
	dst, err := BlobPath(w.tmp, dg)
	if err != nil {
		return w.check(err)
	}
	vr := Verify(io.NopCloser(r), dg, size, from)
	if err := copyInto(dst, vr); err != nil {
		os.Remove(dst)
		return w.check(fmt.Errorf("copy blob %s from %s: %w", dg, from, err))
	}
	return w.added(dg)
}

func (w *Writer) added(dg digest.Digest) error {
	w.seen[dg] = true
	return w.check(at(stepBlob))
}

// Commit writes indexJSON as index.json and the oci-layout file, fsyncs
// every file and directory, runs checks on the finished layout (before
// anyone can see it: a failed check leaves the target as it was), and
// swaps the layout into place with
// renameat2(RENAME_EXCHANGE), or renames it when the target does not
// exist yet; then it removes the old layout and sweeps the temp dirs of
// dead writers. A crash or Ctrl-C at any point leaves either the old
// layout or the new one at the target, never a mix.
func (w *Writer) Commit(indexJSON []byte, checks ...func(*Layout) error) error {
	if w.done {
		return fmt.Errorf("write layout %s: committed twice", w.dir)
	}
	if err := writeFile(filepath.Join(w.tmp, "index.json"), indexJSON, indexMode); err != nil {
		return w.check(err)
	}
	if err := writeFile(filepath.Join(w.tmp, "oci-layout"), []byte(LayoutFile), layoutMode); err != nil {
		return w.check(err)
	}
	if err := w.check(at(stepIndex)); err != nil {
		return err
	}
	sha := filepath.Join(w.tmp, "blobs", "sha256")
	for _, d := range []string{sha, filepath.Join(w.tmp, "blobs"), w.tmp} {
		if err := atomicfile.SyncDir(d); err != nil {
			return w.check(err)
		}
	}
	for _, check := range checks {
		if err := check(Dir(w.tmp)); err != nil {
			return err
		}
	}
	if err := w.check(at(stepSync)); err != nil {
		return err
	}
	old, err := swap(w.tmp, w.dir)
	if err != nil {
		return w.check(err)
	}
	w.done = true
	defer w.unlock()
	if err := at(stepSwapped); err != nil {
		if !errors.Is(err, errCrash) && old != "" {
			os.RemoveAll(old)
		}
		return w.check(err)
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("write layout %s: remove old layout: %w", w.dir, err)
		}
	}
	sweepStale(w.dir)
	return nil
}

// Close abandons an uncommitted layout: its temp dir is removed (left for
// the sweep after a simulated crash) and its lock released.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	w.unlock() // closed by the kernel too when a writer dies
	if !w.crashed {
		return os.RemoveAll(w.tmp)
	}
	return nil
}

// checkTarget refuses to replace something that is not a directory.
func checkTarget(dir string) error {
	st, err := os.Lstat(dir)
	if err == nil && !st.IsDir() {
		return fmt.Errorf("exists and is not a directory")
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return os.MkdirAll(filepath.Dir(dir), dirMode)
}

// placeFile links or copies src to dst and checks its content.
func placeFile(src, dst string, want digest.Digest, size int64) error {
	if st, err := os.Stat(src); err == nil && st.Mode().IsRegular() && st.Mode().Perm() == blobMode {
		if err := os.Link(src, dst); err == nil {
			return verifyFile(dst, want, size)
		}
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return copyInto(dst, Verify(in, want, size, src))
}

// verifyFile re-hashes and fsyncs the file at path, so that a linked blob
// is both right and durable.
func verifyFile(path string, want digest.Digest, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(io.Discard, Verify(io.NopCloser(f), want, size, path)); err != nil {
		return err
	}
	return f.Sync()
}

// copyInto copies r (a verifying reader) into the new file dst, read-only
// and fsynced.
func copyInto(dst string, r io.Reader) (err error) {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, blobMode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := io.Copy(out, r); err != nil {
		return err
	}
	if err := out.Chmod(blobMode); err != nil {
		return err
	}
	return out.Sync()
}

// writeFile writes data to a new file with mode (not subject to the umask)
// and fsyncs it.
func writeFile(path string, data []byte, mode fs.FileMode) (err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Chmod(mode); err != nil {
		return err
	}
	return f.Sync()
}
