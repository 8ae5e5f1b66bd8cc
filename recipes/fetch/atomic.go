package fetch

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// fileMode is the mode of every file Fetch writes. It is fixed, not taken
// from the umask, because ADD keeps a plain file's mode in the image layer.
const fileMode = 0o644

// tempFile is a file being written next to its final name. It hashes what
// it is given so that the content is verified while it streams.
type tempFile struct {
	f     *os.File
	h     hash.Hash
	n     int64
	final string
	done  bool
}

// createTemp opens a hidden temp file in the directory of final. Hidden
// names (".<file>.tmp-*") cannot clash with a valid item, and LinkInto
// skips them. The file is flocked while it is open, so that sweepStale can
// tell it from the temp file of a writer that died.
func createTemp(final string) (*tempFile, error) {
	dir, base := filepath.Split(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for range 5 {
		f, err := os.CreateTemp(dir, "."+base+".tmp-*")
		if err != nil {
			return nil, err
		}
		// Best effort: where flock is unsupported the file is written
		// unlocked, and sweepStale (which needs the lock) removes nothing.
		syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		// A sweeper may have removed it between CreateTemp and Flock.
		var st syscall.Stat_t
		if err := syscall.Fstat(int(f.Fd()), &st); err == nil && st.Nlink > 0 {
			return &tempFile{f: f, h: sha256.New(), final: final}, nil
		}
		f.Close()
	}
	return nil, fmt.Errorf("create temp file next to %s: removed by concurrent fetches", final)
}

// sweepStale removes the temp files of final that no live writer holds
// (their flock is free): what a fetch killed mid-download left behind.
// Errors are ignored; a leftover temp file is only wasted space.
func sweepStale(final string) {
	dir, base := filepath.Split(final)
	names, _ := filepath.Glob(filepath.Join(dir, globEscape("."+base+".tmp-")+"*"))
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.Remove(name)
		}
		f.Close()
	}
}

// globEscape quotes the glob metacharacters of a literal file name.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (t *tempFile) Write(p []byte) (int, error) {
	n, err := t.f.Write(p)
	t.h.Write(p[:n])
	t.n += int64(n)
	return n, err
}

// commit moves the temp file to its final name if its hash is want, and
// removes it otherwise. Either way the temp file is gone afterwards.
func (t *tempFile) commit(want string) error {
	defer t.abort()
	if got := hex.EncodeToString(t.h.Sum(nil)); got != want {
		return &HashError{Got: got, Want: want}
	}
	if err := t.f.Chmod(fileMode); err != nil {
		return err
	}
	if err := t.f.Sync(); err != nil {
		return err
	}
	// Renamed while open: closing drops the flock that keeps sweepStale
	// off it.
	if err := os.Rename(t.f.Name(), t.final); err != nil {
		return err
	}
	t.done = true
	if err := t.f.Close(); err != nil {
		return err
	}
	return syncDir(filepath.Dir(t.final))
}

// abort closes and removes the temp file unless it was committed; safe to
// call more than once.
func (t *tempFile) abort() {
	if t.done {
		return
	}
	t.done = true
	t.f.Close()
	os.Remove(t.f.Name())
}

// syncDir makes a rename durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// tempName returns an unused-looking hidden name next to final, for
// os.Link, which cannot create a file exclusively the way CreateTemp does.
// Its ".link-" infix keeps sweepStale off it: a link cannot be flocked
// before it exists, and a leftover one costs no space.
func tempName(final string) string {
	var b [8]byte
	rand.Read(b[:])
	dir, base := filepath.Split(final)
	return filepath.Join(dir, "."+base+".link-"+hex.EncodeToString(b[:]))
}

// ctxReader stops a long local read when the context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// hashFile returns the sha256 hex digest of the file at path.
func hashFile(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
