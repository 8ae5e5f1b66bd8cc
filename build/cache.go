package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stevedore-build/stevedore/assemble"
	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/internal/atomicfile"
	"github.com/stevedore-build/stevedore/internal/verified"
	"github.com/stevedore-build/stevedore/oci/layout"
	"github.com/stevedore-build/stevedore/recipes/fetch"
)

// cacheFormat changes whenever stevedore's output for the same inputs
// could change, invalidating every cached result.
const cacheFormat = "stevedore-target-cache-v1"

// targetKey hashes everything that determines a target's image: the
// recipe and every file of its context (names, modes, owners, sizes,
// times, contents), its named contexts, the digests of the images it
// uses, its build arguments, platform, stage target, limits, name and
// version, and the cache format. Sources prepare just verified (known)
// are hashed by their SHA-256, not read a second and third time. The
// "fetch" context, which a build makes of links to the sources, is hashed
// from fetchItems as HashTree would hash it: it is only made when the
// target is built.
func targetKey(at assemble.Target, known assemble.Known, fetchItems []fetch.Item) (string, error) {
	h := sha256.New()
	field := func(k, v string) { fmt.Fprintf(h, "%s\x00%s\x00", k, v) }
	field("format", cacheFormat)
	field("name", at.Name)
	field("version", at.Version)
	field("stage", at.StageTarget)
	field("platform", platforms.Format(at.Platform))
	field("epoch", fmt.Sprint(at.Epoch.Unix()))
	for _, u := range at.Ulimits {
		field("ulimit", u.String())
	}
	for _, k := range sortedKeys(at.BuildArgs) {
		field("arg", k+"="+at.BuildArgs[k])
	}
	cf, err := os.ReadFile(at.Containerfile)
	if err != nil {
		return "", err
	}
	field("containerfile", string(cf))
	if err := assemble.HashTree(h, "context", at.ContextDir, false, known); err != nil {
		return "", err
	}
	names, paths := make([]string, len(fetchItems)), make([]string, len(fetchItems))
	for i, it := range fetchItems {
		names[i], paths[i] = it.File, it.Path()
	}
	if err := assemble.HashLinks(h, "context:fetch", names, paths, known); err != nil {
		return "", err
	}
	for _, k := range sortedKeys(at.Contexts) {
		if k <= "fetch" {
			// Hashed in sorted order after "fetch" only.
			return "", fmt.Errorf("context %q is not supported in a tree build", k)
		}
		if err := assemble.HashTree(h, "context:"+k, at.Contexts[k], false, known); err != nil {
			return "", err
		}
	}
	for _, k := range sortedKeys(at.Images) {
		pl := at.Platform
		d, err := layoutDigest(at.Images[k], pl)
		if err != nil {
			return "", err
		}
		field("image:"+k, d)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// layoutDigest is the manifest digest of an image, or a marker when it
// cannot be read (a changed or broken dependency must not hit the cache).
func layoutDigest(dir string, pl ocispec.Platform) (string, error) {
	raw, err := layout.Dir(dir).IndexJSON()
	if err != nil {
		return "", fmt.Errorf("dependency %s: %w", dir, err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:]) + "/" + platforms.Format(pl), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// cacheRecord is <tree>/.stevedore/cache/<target>: the key of the last
// build and the manifest digest it produced on the first line, then the
// verified state it was recorded with: an "out" line with the stamp of
// each file of out/<target> and a "src" line with the SHA-256 and stamp of
// each source, taken around a full verification (see internal/verified).
// A later build trusts a file whose stamp is unchanged instead of hashing
// it again; any changed stamp means verifying in full, then recording the
// new state. A record without state lines (or an unreadable one) is
// verified in full.
type cacheRecord struct{ dir string }

func (c cacheRecord) path(target string) string { return filepath.Join(c.dir, target) }

// cacheEntry is a parsed record.
type cacheEntry struct {
	key, digest string
	out         verified.Tree
	sources     map[string]sourceState
}

// sourceState is a source file verified to have SHA-256 sum while it had
// stamp.
type sourceState struct {
	sum   string
	stamp verified.Stamp
}

// read returns target's record, or nil.
func (c cacheRecord) read(target string) *cacheEntry {
	if c.dir == "" {
		return nil
	}
	data, err := os.ReadFile(c.path(target))
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	k, digest, ok := strings.Cut(strings.TrimSpace(lines[0]), " ")
	if !ok {
		return nil
	}
	e := &cacheEntry{key: k, digest: digest, out: verified.Tree{}, sources: map[string]sourceState{}}
	for _, line := range lines[1:] {
		f := strings.SplitN(line, " ", 9)
		switch {
		case len(f) == 8 && f[0] == "out":
			st, err := verified.Parse(f[1:7])
			if err != nil {
				return &cacheEntry{key: k, digest: digest}
			}
			e.out[f[7]] = st
		case len(f) == 9 && f[0] == "src":
			st, err := verified.Parse(f[2:8])
			if err != nil {
				return &cacheEntry{key: k, digest: digest}
			}
			e.sources[f[8]] = sourceState{sum: f[1], stamp: st}
		default:
			// Torn or unknown: trust nothing of it.
			return &cacheEntry{key: k, digest: digest}
		}
	}
	return e
}

// trusted returns the stamp path had when it was verified to have sum,
// when it still has it.
func (e *cacheEntry) trusted(path, sum string) (verified.Stamp, bool) {
	if e == nil {
		return verified.Stamp{}, false
	}
	s, ok := e.sources[path]
	if !ok || s.sum != sum {
		return verified.Stamp{}, false
	}
	now, err := verified.Lstat(path)
	return now, err == nil && now == s.stamp
}

// hit reports whether out holds the image built from key: the record's
// digest, trusted when every file of out has its recorded stamp and
// otherwise read and verified in full. stamps is out's state to record
// (nil: keep none, the layout changed while it was read).
func (c cacheRecord) hit(e *cacheEntry, key, out string, pl ocispec.Platform) (ok bool, stamps verified.Tree) {
	if e == nil || e.key != key {
		return false, nil
	}
	if e.out.Unchanged(out) {
		return true, e.out
	}
	before, err := verified.StampTree(out)
	if err != nil {
		return false, nil
	}
	l, err := image.ReadLayout(out, pl)
	if err != nil || l.ManifestDigest.String() != e.digest {
		return false, nil
	}
	after, err := verified.StampTree(out)
	if err != nil || !before.Equal(after) {
		return true, nil
	}
	return true, after
}

// store records key and digest for target's verified image, with the
// state it was verified in, atomically and durably.
func (c cacheRecord) store(target string, e *cacheEntry) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	return atomicfile.Write(c.path(target), func(w io.Writer) error {
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", e.key, e.digest)
		for _, rel := range e.out.Sorted() {
			if verified.ValidName(rel) {
				fmt.Fprintf(&b, "out %s %s\n", e.out[rel], rel)
			}
		}
		for _, p := range sortedKeys(e.sources) {
			if s := e.sources[p]; verified.ValidName(p) {
				fmt.Fprintf(&b, "src %s %s %s\n", s.sum, s.stamp, p)
			}
		}
		_, err := io.WriteString(w, b.String())
		return err
	})
}

// same reports whether e and f record the same state.
func (e *cacheEntry) same(f *cacheEntry) bool {
	if e == nil || f == nil || e.key != f.key || e.digest != f.digest || !e.out.Equal(f.out) || len(e.sources) != len(f.sources) {
		return false
	}
	for p, s := range e.sources {
		if f.sources[p] != s {
			return false
		}
	}
	return true
}
