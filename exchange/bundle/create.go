package bundle

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// Spec is what a bundle carries. The caller (cmd/) computes it from the
// recipes, so that this package does not depend on them.
type Spec struct {
	// Targets are the targets the bundle is for (recorded only).
	Targets []string
	// Sources are fetched source files.
	Sources []Source
	// Images are the targets whose out/<target> layout to include: the
	// dependencies of Targets.
	Images []string
	// FetchSteps are recorded fetch-step layers (tree-relative paths under
	// FetchStepsDir), so that an offline build needs no network for them;
	// the image store's files and the lock file go here too.
	FetchSteps []string
}

// Tree-relative places a bundle may fill besides fetch/ and out/: the
// recorded layers of RUN steps that had the network, the image store of
// base images resolved from outside the tree, and the lock file pinning
// them.
const (
	FetchStepsDir = ".stevedore/fetch-steps"
	ImageStoreDir = ".stevedore/images"
	LockFile      = "stevedore.lock"
)

// Source is one fetched file and the hash its package.toml pins.
type Source struct {
	// Path is tree-relative, slash-separated: fetch/<stage>/<origin>/<file>.
	Path string
	// SHA256 is the expected hash, lowercase hex.
	SHA256 string
}

// Create writes the bundle for spec, reading files from tree, to file
// (atomically). Every source must hash to its pinned SHA-256 and every
// out/ blob to its name; files are hashed once to build the manifest and
// again while they are copied, so a file that changes meanwhile is an
// error, not a bad bundle.
func Create(tree string, spec Spec, file string) (*Manifest, error) {
	return CreateSigned(tree, spec, file, nil)
}

// SignFunc returns signatures over a manifest's exact bytes, one per key
// (see digests/signature.SignBundle); they are stored right after it.
type SignFunc func(manifest []byte) ([][]byte, error)

// CreateSigned is Create that signs the manifest with sign (nil: unsigned).
// Only the manifest is signed: it lists every member's SHA-256 and size,
// and unpacking checks every member against it.
func CreateSigned(tree string, spec Spec, file string, sign SignFunc) (*Manifest, error) {
	m := &Manifest{Version: formatVersion, Targets: spec.Targets, Images: spec.Images}
	for _, s := range spec.Sources {
		mb, err := hashMember(tree, s.Path)
		if err != nil {
			return nil, fmt.Errorf("bundle: source %w (run stevedore fetch first)", err)
		}
		if mb.SHA256 != s.SHA256 {
			return nil, fmt.Errorf("bundle: source %s hashes to %s, package.toml pins %s; run stevedore fetch to replace it", s.Path, mb.SHA256, s.SHA256)
		}
		m.Members = append(m.Members, mb)
	}
	for _, p := range spec.FetchSteps {
		mb, err := hashMember(tree, p)
		if err != nil {
			return nil, fmt.Errorf("bundle: fetch step %w", err)
		}
		m.Members = append(m.Members, mb)
	}
	for _, im := range spec.Images {
		mbs, err := imageMembers(tree, im)
		if err != nil {
			return nil, err
		}
		m.Members = append(m.Members, mbs...)
	}
	if err := m.check(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	raw, err := json.MarshalIndent(m, "", "\t")
	if err != nil {
		return nil, err
	}
	var sigs [][]byte
	if sign != nil {
		if sigs, err = sign(raw); err != nil {
			return nil, fmt.Errorf("bundle: sign the manifest: %w", err)
		}
		if len(sigs) > maxSignatures {
			return nil, fmt.Errorf("bundle: %d signatures, at most %d", len(sigs), maxSignatures)
		}
	}
	if err := atomicfile.Write(file, func(w io.Writer) error { return writeBundle(w, tree, m, raw, sigs) }); err != nil {
		return nil, fmt.Errorf("bundle to %s: %w", file, err)
	}
	return m, nil
}

// imageMembers lists out/<image>'s oci-layout, index.json and blobs.
func imageMembers(tree, image string) ([]Member, error) {
	dir := filepath.Join(tree, "out", image)
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		return nil, fmt.Errorf("bundle: dependency %s is not built (%v); build it first", image, err)
	}
	names := []string{"oci-layout", "index.json"}
	blobs, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		return nil, fmt.Errorf("bundle: image %s: %w", image, err)
	}
	for _, b := range blobs {
		if hexRE.MatchString(b.Name()) {
			names = append(names, "blobs/sha256/"+b.Name())
		}
	}
	sort.Strings(names[2:])
	var out []Member
	for _, n := range names {
		mb, err := hashMember(tree, path.Join("out", image, n))
		if err != nil {
			return nil, fmt.Errorf("bundle: image %w", err)
		}
		if d := path.Base(n); hexRE.MatchString(d) && d != mb.SHA256 {
			return nil, fmt.Errorf("bundle: image %s: blob %s is corrupt (hashes to %s); rebuild %s", image, d, mb.SHA256, image)
		}
		out = append(out, mb)
	}
	return out, nil
}

// hashMember hashes the tree file at rel.
func hashMember(tree, rel string) (Member, error) {
	f, err := os.Open(filepath.Join(tree, filepath.FromSlash(rel)))
	if err != nil {
		return Member{}, fmt.Errorf("%s: %w", rel, err)
	}
	defer f.Close()
	sum, n, err := hashCopy(io.Discard, f)
	if err != nil {
		return Member{}, fmt.Errorf("%s: %w", rel, err)
	}
	return Member{Path: rel, SHA256: sum, Size: n}, nil
}

// writeBundle writes the manifest, its signatures, then each member
// re-hashed.
func writeBundle(w io.Writer, tree string, m *Manifest, raw []byte, sigs [][]byte) error {
	tw := tar.NewWriter(w)
	if err := tw.WriteHeader(header(ManifestName, int64(len(raw)))); err != nil {
		return err
	}
	if _, err := tw.Write(raw); err != nil {
		return err
	}
	for i, sig := range sigs {
		if err := tw.WriteHeader(header(signatureName(i+1), int64(len(sig)))); err != nil {
			return err
		}
		if _, err := tw.Write(sig); err != nil {
			return err
		}
	}
	for _, mb := range m.Members {
		if err := copyMember(tw, tree, mb); err != nil {
			return err
		}
	}
	return tw.Close()
}

func copyMember(tw *tar.Writer, tree string, mb Member) error {
	f, err := os.Open(filepath.Join(tree, filepath.FromSlash(mb.Path)))
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(header(mb.Path, mb.Size)); err != nil {
		return err
	}
	sum, n, err := hashCopy(tw, io.LimitReader(f, mb.Size+1))
	if err != nil {
		return fmt.Errorf("copy %s: %w", mb.Path, err)
	}
	if sum != mb.SHA256 || n != mb.Size {
		return fmt.Errorf("%s changed while the bundle was written; run bundle again", mb.Path)
	}
	return nil
}

func header(name string, size int64) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: epoch, Format: tar.FormatPAX}
}
