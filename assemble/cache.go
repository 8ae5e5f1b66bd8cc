package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
	"github.com/stevedore-build/stevedore/internal/lock"
	"github.com/stevedore-build/stevedore/layers"
)

// cacheFormat is part of every cache key: bump it whenever stevedore's
// output for the same inputs could change.
const cacheFormat = "stevedore-layer-cache-v2"

// LayerCache keeps the result of every layer-producing instruction (the
// layer directory and its blob) under a key of everything that can change
// it: the filesystem it ran on (a chain of earlier keys), the instruction
// after expansion, the environment, user and working directory, copied
// content, limits and the epoch. Entries are published with one atomic
// rename after the filesystem is synced, so interrupted and concurrent
// builds share it safely; an entry is never modified once published.
// Before an entry is used for the first time in a process, its layer
// directory and blob are checked against the digests recorded when it was
// published; a damaged entry is removed and the step runs again.
type LayerCache struct {
	Dir string

	mu       sync.Mutex
	verified map[string]bool // entries checked by this process
}

// cacheEntry is <Dir>/<key[:24]>/: f/ (overlay layer dir), meta.json and,
// once an output contained the layer, its blob (described by meta.json
// when it was published with the entry, else by blob.json). Names are
// short because overlayfs lowerdir options are limited to a page on
// kernels before 6.8 (see layers.Mount); the full key is in meta.json and
// must match.
type cacheMeta struct {
	Key    string `json:"key"`
	Digest string `json:"digest"`
	DiffID string `json:"diff_id"`
	Size   int64  `json:"size"`
	// Tree is treeDigest of f/ (layer cache entries only).
	Tree string `json:"tree,omitempty"`
}

// key hashes a list of fields into a cache key.
func key(fields ...string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00", cacheFormat)
	for _, f := range fields {
		fmt.Fprintf(h, "%d:%s\x00", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// get returns the cached layer for k. A damaged entry (its f/ or blob no
// longer what was published) is reported in problem, removed, and a miss.
func (c *LayerCache) get(k string) (l *Layer, ok bool, problem error) {
	if c == nil || k == "" {
		return nil, false, nil
	}
	dir := c.entry(k)
	data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, false, nil
	}
	var m cacheMeta
	if json.Unmarshal(data, &m) != nil || m.Key != k {
		return nil, false, nil
	}
	l = &Layer{Dir: filepath.Join(dir, "f"), key: k}
	if m.Digest != "" {
		b, ok := m.blob(dir)
		if !ok {
			return nil, false, nil
		}
		l.Blob = b
	} else if b, ok := c.blob(k); ok {
		l.Blob = b
	}
	if err := c.verify(k, dir, m); err != nil {
		c.discard(dir)
		return nil, false, fmt.Errorf("cache entry %s is damaged (%v); removed it, the step runs again", dir, err)
	}
	return l, true, nil
}

// blob is the entry's blob as m describes it.
func (m cacheMeta) blob(dir string) (Blob, bool) {
	dg, err1 := v1.NewHash(m.Digest)
	di, err2 := v1.NewHash(m.DiffID)
	if err1 != nil || err2 != nil {
		return Blob{}, false
	}
	return Blob{Path: filepath.Join(dir, "blob"), Blob: layers.Blob{Digest: dg, DiffID: di, Size: m.Size}}, true
}

// blobMetaName is the file that describes a blob added to an entry after
// it was published (an entry published without one: its layer was not in
// any output yet).
const blobMetaName = "blob.json"

// blob returns the blob of entry k when one was written.
func (c *LayerCache) blob(k string) (Blob, bool) {
	dir := c.entry(k)
	data, err := os.ReadFile(filepath.Join(dir, blobMetaName))
	if err != nil {
		return Blob{}, false
	}
	var m cacheMeta
	if json.Unmarshal(data, &m) != nil || m.Key != k {
		return Blob{}, false
	}
	b, ok := m.blob(dir)
	if !ok {
		return Blob{}, false
	}
	if err := verifyBlob(b.Path, m); err != nil {
		return Blob{}, false // written again by the caller
	}
	return b, true
}

// putBlob adds b (a file on the cache's filesystem) to entry k: the blob
// first, made durable, then blob.json, written atomically, which is what
// makes it count. Concurrent builds write identical files.
func (c *LayerCache) putBlob(k string, b Blob) (Blob, error) {
	dir := c.entry(k)
	dst := filepath.Join(dir, "blob")
	f, err := os.Open(b.Path)
	if err != nil {
		return Blob{}, err
	}
	err = f.Sync()
	f.Close()
	if err != nil {
		return Blob{}, err
	}
	if err := os.Rename(b.Path, dst); err != nil {
		return Blob{}, fmt.Errorf("cache layer blob: %w", err)
	}
	meta, _ := json.Marshal(cacheMeta{Key: k, Digest: b.Digest.String(), DiffID: b.DiffID.String(), Size: b.Size})
	if err := atomicfile.Write(filepath.Join(dir, blobMetaName), func(w io.Writer) error { _, err := w.Write(meta); return err }); err != nil {
		return Blob{}, fmt.Errorf("cache layer blob: %w", err)
	}
	b.Path = dst
	return b, nil
}

// verifyBlob checks a blob file's size and digest against m.
func verifyBlob(path string, m cacheMeta) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Size() != m.Size {
		return fmt.Errorf("blob is %d bytes, want %d", fi.Size(), m.Size)
	}
	if got, err := fileDigest(path); err != nil || got != m.Digest {
		return fmt.Errorf("blob digest %s (%v), want %s", got, err, m.Digest)
	}
	return nil
}

// verify checks an entry once per process: the blob's size and digest
// (when the entry was published with one), and the layer directory's
// treeDigest; or, when the entry's recorded verified state (see
// entryStamps) is still its state, nothing more.
func (c *LayerCache) verify(k, dir string, m cacheMeta) error {
	c.mu.Lock()
	done := c.verified[k]
	c.mu.Unlock()
	if done {
		return nil
	}
	if m.Tree == "" {
		return fmt.Errorf("no layer directory digest (an entry of an older stevedore)")
	}
	if !trustedEntry(k, dir, m) {
		before, _ := entryStamps(dir, m)
		if m.Digest != "" {
			if err := verifyBlob(filepath.Join(dir, "blob"), m); err != nil {
				return err
			}
		}
		if got, err := treeDigest(filepath.Join(dir, "f")); err != nil || got != m.Tree {
			return fmt.Errorf("layer directory digest %s (%v), want %s", got, err, m.Tree)
		}
		// Verified in full: later processes trust this state.
		recordEntry(k, dir, m, before)
	}
	c.mu.Lock()
	if c.verified == nil {
		c.verified = map[string]bool{}
	}
	c.verified[k] = true
	c.mu.Unlock()
	return nil
}

// Prefixes of the cache's temporary directories.
const (
	putPrefix  = ".put-"
	badPrefix  = ".bad-"
	snapPrefix = ".snap-"
)

// Sweep removes the temporary directories builds that died left in the
// cache (an entry or a snapshot being published, a damaged entry being
// removed).
func (c *LayerCache) Sweep() error {
	if c == nil {
		return nil
	}
	return lock.Sweep(c.Dir, putPrefix, badPrefix, snapPrefix)
}

// discard moves a damaged entry out of the way (atomically, so no build
// picks it up again) and removes it.
func (c *LayerCache) discard(dir string) {
	bad, err := os.MkdirTemp(c.Dir, badPrefix)
	if err != nil {
		return
	}
	if os.Rename(dir, filepath.Join(bad, "e")) == nil {
		os.RemoveAll(bad)
		return
	}
	os.Remove(bad)
}

// put moves a freshly committed layer (its directory and blob, both on the
// cache's filesystem) into the cache and returns the cached copy. When
// another build published k first, that entry wins and l is discarded.
// The entry's files are made durable (syncfs) before the rename that
// publishes it, and the rename before put returns.
func (c *LayerCache) put(k string, l *Layer) (*Layer, error) {
	err := c.publish(c.entry(k), putPrefix, func(tmp string) (any, error) {
		if err := os.Rename(l.Dir, filepath.Join(tmp, "f")); err != nil {
			return nil, err
		}
		m := cacheMeta{Key: k}
		if l.Blob.Path != "" {
			if err := os.Rename(l.Blob.Path, filepath.Join(tmp, "blob")); err != nil {
				return nil, err
			}
			m.Digest, m.DiffID, m.Size = l.Blob.Digest.String(), l.Blob.DiffID.String(), l.Blob.Size
		}
		before, _ := entryStamps(tmp, m)
		tree, err := treeDigest(filepath.Join(tmp, "f"))
		if err != nil {
			return nil, err
		}
		m.Tree = tree
		recordEntry(k, tmp, m, before)
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("cache layer: %w", err)
	}
	c.mu.Lock()
	if c.verified == nil {
		c.verified = map[string]bool{}
	}
	c.verified[k] = true // just hashed, or published by a build that did
	c.mu.Unlock()
	got, ok, problem := c.get(k)
	if !ok {
		return nil, fmt.Errorf("cache layer %s: entry unreadable after publishing (%v)", k, problem)
	}
	got.FromBase = l.FromBase
	return got, nil
}

// publish fills a new entry in a locked temp dir of the cache (fill
// returns what meta.json holds), makes it durable (syncfs) and publishes
// it as entry with one rename, durable too before publish returns. When
// another build published entry first, that one wins and this one is
// discarded.
func (c *LayerCache) publish(entry, prefix string, fill func(tmp string) (meta any, err error)) error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	// Locked while in use, so that Sweep can tell it from one a dead build
	// left; after the rename that publishes it, Remove finds nothing.
	td, err := lock.MkdirTemp(c.Dir, prefix)
	if err != nil {
		return err
	}
	defer td.Remove()
	m, err := fill(td.Path)
	if err != nil {
		return err
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(td.Path, "meta.json"), meta, 0o644); err != nil {
		return err
	}
	if err := syncFS(td.Path); err != nil {
		return err
	}
	if err := os.Rename(td.Path, entry); err != nil && !errors.Is(err, os.ErrExist) && !isNotEmpty(err) {
		return err
	}
	return atomicfile.SyncDir(c.Dir)
}

func (c *LayerCache) entry(k string) string { return filepath.Join(c.Dir, k[:24]) }

func isNotEmpty(err error) bool {
	var le *os.LinkError
	return errors.As(err, &le) && (le.Err.Error() == "directory not empty" || le.Err.Error() == "file exists")
}
