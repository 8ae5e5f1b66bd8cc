package faults

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/digests/signature"
	"github.com/stevedore-build/stevedore/exchange/bundle"
)

// checker knows what a tree's complete files must contain: the committed
// digests, the sources' hashes and the signing keyring.
type checker struct {
	want    map[string]string // target -> manifest digest
	hashes  map[string]string // source file name -> SHA-256
	keyring *signature.Keyring
}

func newChecker(t *testing.T, tree string) *checker {
	return &checker{want: committedDigests(t), hashes: sourceHashes(t, tree)}
}

// hidden names are temp files and dirs of a writer (dead or alive); the
// checker does not expect them to be complete.
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// tree checks every place of tree where a complete file is expected and
// returns what is wrong, one line each:
//   - every out/<target> is a complete OCI layout that verifies, with the
//     committed digest;
//   - every file in fetch/ and in packages/*/*/fetch/ matches its hash;
//   - digests/*.txt parse and record the committed digests;
//   - every signature verifies against the keyring (when set);
//   - exports/ and bundles/ hold complete archives or nothing;
//   - every published layer cache entry and target record is whole.
func (c *checker) tree(tree string) []string {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	outs, _ := os.ReadDir(filepath.Join(tree, "out"))
	for _, e := range outs {
		if hidden(e.Name()) {
			continue
		}
		got, err := checkLayout(os.DirFS(filepath.Join(tree, "out", e.Name())))
		if err != nil {
			add("out/%s: %v", e.Name(), err)
		} else if got != c.want[e.Name()] {
			add("out/%s: manifest %s, committed %s", e.Name(), got, c.want[e.Name()])
		}
	}
	for _, dir := range append(glob(tree, "fetch/*/*"), glob(tree, "packages/*/*/fetch")...) {
		bad = append(bad, c.sources(tree, dir)...)
	}
	for _, p := range glob(tree, "digests/*.txt") {
		bad = append(bad, c.digestFile(tree, p)...)
	}
	if c.keyring != nil {
		bad = append(bad, c.signatures(tree)...)
	}
	bad = append(bad, c.exports(tree)...)
	for _, p := range glob(tree, "bundles/*") {
		if !hidden(filepath.Base(p)) {
			if _, err := bundle.Verify(filepath.Join(tree, p)); err != nil {
				add("%s: %v", p, err)
			}
		}
	}
	return append(bad, c.cache(tree)...)
}

// glob lists the matches of pattern under tree, relative to tree.
func glob(tree, pattern string) []string {
	m, _ := filepath.Glob(filepath.Join(tree, pattern))
	for i := range m {
		m[i], _ = filepath.Rel(tree, m[i])
	}
	return m
}

// sources checks the source files of one fetch folder.
func (c *checker) sources(tree, dir string) []string {
	var bad []string
	entries, _ := os.ReadDir(filepath.Join(tree, dir))
	for _, e := range entries {
		if hidden(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		want, ok := c.hashes[e.Name()]
		if !ok {
			bad = append(bad, p+": not a source of the tree")
			continue
		}
		if got, err := fileSHA256(filepath.Join(tree, p)); err != nil || got != want {
			bad = append(bad, fmt.Sprintf("%s: SHA-256 %s (%v), want %s", p, got, err, want))
		}
	}
	return bad
}

// digestFile checks one digests/<stage>.txt.
func (c *checker) digestFile(tree, p string) []string {
	f, err := os.Open(filepath.Join(tree, p))
	if err != nil {
		return []string{p + ": " + err.Error()}
	}
	defer f.Close()
	recs, err := digests.ParseRecords(f, p)
	if err != nil {
		return []string{err.Error()}
	}
	var bad []string
	for _, r := range recs {
		if r.Digest.String() != c.want[r.Target] {
			bad = append(bad, fmt.Sprintf("%s: %s recorded as %s, committed %s", p, r.Target, r.Digest, c.want[r.Target]))
		}
	}
	return bad
}

// signatures verifies every signature file of every built target.
func (c *checker) signatures(tree string) []string {
	var bad []string
	targets, _ := digests.BuiltTargets(tree)
	reps, _ := signature.VerifyTargets(tree, filepath.Join(tree, "signatures"), "stagex", targets, c.keyring, 0, time.Now())
	for _, r := range reps {
		if r.Err != nil {
			bad = append(bad, fmt.Sprintf("signatures of %s: %v", r.Target, r.Err))
		}
		for _, f := range r.Files {
			if !f.OK() {
				bad = append(bad, fmt.Sprintf("%s: %s %s", f.Path, f.Reason, f.Detail))
			}
		}
	}
	return bad
}

// exports checks exports/: *.oci.tar are OCI archives, *.docker.tar
// docker archives, *.oci directories OCI layouts, each complete.
func (c *checker) exports(tree string) []string {
	var bad []string
	for _, p := range glob(tree, "exports/*") {
		name := filepath.Base(p)
		if hidden(name) {
			continue
		}
		full := filepath.Join(tree, p)
		target := strings.SplitN(name, ".", 2)[0]
		var err error
		var got string
		switch {
		case strings.HasSuffix(name, ".oci.tar"):
			fsys, ferr := tarFS(full)
			if err = ferr; err == nil {
				got, err = checkLayout(fsys)
			}
		case strings.HasSuffix(name, ".docker.tar"):
			err, got = checkDockerArchive(full), c.want[target]
		case strings.HasSuffix(name, ".oci"):
			got, err = checkLayout(os.DirFS(full))
		default:
			err = fmt.Errorf("unexpected export")
		}
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", p, err))
		} else if got != c.want[target] {
			bad = append(bad, fmt.Sprintf("%s: manifest %s, committed %s", p, got, c.want[target]))
		}
	}
	return bad
}

// recordRE is a target record of .stevedore/cache: "<key> sha256:<hex>",
// then the verified state's "out" and "src" lines (stamps: six numbers).
var recordRE = regexp.MustCompile(`^[0-9a-f]{64} sha256:[0-9a-f]{64}\n?` +
	`(out( -?[0-9]+){6} [^\n]+\n|src [0-9a-f]{64}( -?[0-9]+){6} /[^\n]+\n)*$`)

// cache checks published layer cache entries (meta.json parses, the blob
// has its size and digest) and target records.
func (c *checker) cache(tree string) []string {
	var bad []string
	dir := filepath.Join(tree, ".stevedore", "cache")
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if hidden(e.Name()) || e.Name() == "layers" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil || !recordRE.Match(data) {
			bad = append(bad, fmt.Sprintf(".stevedore/cache/%s: target record %q (%v)", e.Name(), data, err))
		}
	}
	layers, _ := os.ReadDir(filepath.Join(dir, "layers"))
	for _, e := range layers {
		if hidden(e.Name()) {
			continue
		}
		p := filepath.Join(dir, "layers", e.Name())
		if strings.HasPrefix(e.Name(), "s") {
			bad = append(bad, checkSnapshot(p, e.Name())...)
			continue
		}
		var m struct {
			Key, Digest string
			Size        int64
		}
		data, err := os.ReadFile(filepath.Join(p, "meta.json"))
		if err == nil {
			err = json.Unmarshal(data, &m)
		}
		if err != nil {
			bad = append(bad, fmt.Sprintf(".stevedore/cache/layers/%s: meta.json: %v", e.Name(), err))
			continue
		}
		if m.Digest == "" {
			// Published without a blob (no output held the layer yet);
			// one written later is described by blob.json.
			data, err := os.ReadFile(filepath.Join(p, "blob.json"))
			if errors.Is(err, os.ErrNotExist) {
				data, err = []byte(`{"Digest":"none"}`), nil
			}
			if err == nil {
				err = json.Unmarshal(data, &m)
			}
			if err != nil {
				bad = append(bad, fmt.Sprintf(".stevedore/cache/layers/%s: blob.json: %v", e.Name(), err))
				continue
			}
		}
		got, err := fileSHA256(filepath.Join(p, "blob"))
		if m.Digest == "none" {
			// No blob yet: nothing to check but the layer dir.
		} else if err != nil || "sha256:"+got != m.Digest {
			bad = append(bad, fmt.Sprintf(".stevedore/cache/layers/%s: blob sha256:%s (%v), meta says %s", e.Name(), got, err, m.Digest))
		}
		if fi, err := os.Stat(filepath.Join(p, "f")); err != nil || !fi.IsDir() {
			bad = append(bad, fmt.Sprintf(".stevedore/cache/layers/%s: no layer dir f/ (%v)", e.Name(), err))
		}
	}
	return bad
}

// checkSnapshot checks a published snapshot of an unpacked image layer:
// s<chain[:23]>/ with meta.json naming its chain and the layer dir f/.
func checkSnapshot(p, name string) []string {
	var m struct{ Chain string }
	data, err := os.ReadFile(filepath.Join(p, "meta.json"))
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil || !strings.HasPrefix(m.Chain, name[1:]) {
		return []string{fmt.Sprintf(".stevedore/cache/layers/%s: snapshot meta.json %q (%v)", name, data, err)}
	}
	if fi, err := os.Stat(filepath.Join(p, "f")); err != nil || !fi.IsDir() {
		return []string{fmt.Sprintf(".stevedore/cache/layers/%s: no layer dir f/ (%v)", name, err)}
	}
	return nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
