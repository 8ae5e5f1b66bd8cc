package assemble

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cacheFormat is part of every cache key: bump it whenever stevedore's
// output for the same inputs could change.
const cacheFormat = "stevedore-layer-cache-v1"

// LayerCache keeps the result of every layer-producing instruction (the
// layer directory and its blob) under a key of everything that can change
// it: the filesystem it ran on (a chain of earlier keys), the instruction
// after expansion, the environment, user and working directory, copied
// content, limits and the epoch. Entries are published with one atomic
// rename, so interrupted and concurrent builds share it safely; an entry
// is never modified once published.
type LayerCache struct {
	Dir string
}

// cacheEntry is <Dir>/<key[:24]>/: f/ (overlay layer dir), blob,
// meta.json. Names are short because overlayfs lowerdir options are
// limited to a page on kernels before 6.8 (see layers.Mount); the full key
// is in meta.json and must match.
type cacheMeta struct {
	Key    string `json:"key"`
	Digest string `json:"digest"`
	DiffID string `json:"diff_id"`
	Size   int64  `json:"size"`
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

// get returns the cached layer for k.
func (c *LayerCache) get(k string) (*Layer, bool) {
	if c == nil || k == "" {
		return nil, false
	}
	dir := c.entry(k)
	data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		return nil, false
	}
	var m cacheMeta
	if json.Unmarshal(data, &m) != nil || m.Key != k {
		return nil, false
	}
	dg, err1 := v1.NewHash(m.Digest)
	di, err2 := v1.NewHash(m.DiffID)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	fi, err := os.Stat(filepath.Join(dir, "blob"))
	if err != nil || fi.Size() != m.Size {
		return nil, false
	}
	return &Layer{Dir: filepath.Join(dir, "f"), Blob: Blob{Path: filepath.Join(dir, "blob"), Digest: dg, DiffID: di, Size: m.Size}}, true
}

// put moves a freshly committed layer (its directory and blob, both on the
// cache's filesystem) into the cache and returns the cached copy. When
// another build published k first, that entry wins and l is discarded.
func (c *LayerCache) put(k string, l *Layer) (*Layer, error) {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(c.Dir, ".put-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := os.Rename(l.Dir, filepath.Join(tmp, "f")); err != nil {
		return nil, fmt.Errorf("cache layer: %w", err)
	}
	if err := os.Rename(l.Blob.Path, filepath.Join(tmp, "blob")); err != nil {
		return nil, fmt.Errorf("cache layer: %w", err)
	}
	meta, _ := json.Marshal(cacheMeta{Key: k, Digest: l.Blob.Digest.String(), DiffID: l.Blob.DiffID.String(), Size: l.Blob.Size})
	if err := os.WriteFile(filepath.Join(tmp, "meta.json"), meta, 0o644); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp, c.entry(k)); err != nil && !errors.Is(err, os.ErrExist) && !isNotEmpty(err) {
		return nil, fmt.Errorf("cache layer: %w", err)
	}
	got, ok := c.get(k)
	if !ok {
		return nil, fmt.Errorf("cache layer %s: entry unreadable after publishing", k)
	}
	got.FromBase = l.FromBase
	return got, nil
}

func (c *LayerCache) entry(k string) string { return filepath.Join(c.Dir, k[:24]) }

func isNotEmpty(err error) bool {
	var le *os.LinkError
	return errors.As(err, &le) && (le.Err.Error() == "directory not empty" || le.Err.Error() == "file exists")
}
