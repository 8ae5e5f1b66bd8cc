package build

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stevedore-build/stevedore/assemble"
	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/oci/layout"
)

// cacheFormat changes whenever stevedore's output for the same inputs
// could change, invalidating every cached result.
const cacheFormat = "stevedore-target-cache-v1"

// targetKey hashes everything that determines a target's image: the
// recipe and every file of its context (names, modes, owners, sizes,
// times, contents), its named contexts, the digests of the images it
// uses, its build arguments, platform, stage target, limits, name and
// version, and the cache format. Sources prepare just verified (known)
// are hashed by their SHA-256, not read a second and third time.
func targetKey(at assemble.Target, known assemble.Known) (string, error) {
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
	for _, k := range sortedKeys(at.Contexts) {
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
// build and the manifest digest it produced.
type cacheRecord struct{ dir string }

func (c cacheRecord) path(target string) string { return filepath.Join(c.dir, target) }

// hit reports whether out holds the image built from key.
func (c cacheRecord) hit(target, key, out string, pl ocispec.Platform) bool {
	data, err := os.ReadFile(c.path(target))
	if err != nil {
		return false
	}
	k, digest, ok := strings.Cut(strings.TrimSpace(string(data)), " ")
	if !ok || k != key {
		return false
	}
	l, err := image.ReadLayout(out, pl)
	return err == nil && l.ManifestDigest.String() == digest
}

// store records key for target's freshly written image, atomically.
func (c cacheRecord) store(target, key, digest string) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(c.dir, "."+target+".tmp-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := fmt.Fprintf(tmp, "%s %s\n", key, digest); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), c.path(target))
}
