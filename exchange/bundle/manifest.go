package bundle

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"strings"
)

// ManifestName is the first member of every bundle.
const ManifestName = "stevedore-bundle.json"

// formatVersion is the bundle format this package writes and reads.
const formatVersion = 1

// maxManifest bounds the manifest read into memory.
const maxManifest = 64 << 20

// Manifest is the table of contents of a bundle.
type Manifest struct {
	// Version is the bundle format version (1).
	Version int `json:"version"`
	// Targets are the targets the bundle was made for.
	Targets []string `json:"targets"`
	// Images are the out/<target> layouts it carries.
	Images []string `json:"images"`
	// Members are every file after the manifest, in tar order.
	Members []Member `json:"members"`
}

// Member is one file of a bundle.
type Member struct {
	// Path is where the file goes in a tree, slash-separated.
	Path string `json:"path"`
	// SHA256 is its content hash, lowercase hex.
	SHA256 string `json:"sha256"`
	// Size is its length in bytes.
	Size int64 `json:"size"`
}

var (
	hexRE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
	targetRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._+]*-[A-Za-z0-9._+-]+$`)
	fetchRE  = regexp.MustCompile(`^fetch/[A-Za-z0-9_.+-]+/[A-Za-z0-9_.+-]+/[^/.][^/]*$`)
	// stepRE: recorded fetch-step layers (RUNs that had the network),
	// reused by an offline build instead of the network.
	stepRE = regexp.MustCompile(`^\.stevedore/fetch-steps/[0-9a-f]{64}\.(tar\.gz|json)$`)
	// storeRE and lockRE: base images resolved from outside the tree (the
	// image store's layouts) and the lock file pinning them.
	storeRE = regexp.MustCompile(`^\.stevedore/images/sha256/[0-9a-f]{64}-[A-Za-z0-9_.+-]+/(oci-layout|index\.json|blobs/sha256/[0-9a-f]{64})$`)
	lockRE  = regexp.MustCompile(`^stevedore\.lock$`)
	outRE   = regexp.MustCompile(`^out/([^/]+)/(oci-layout|index\.json|blobs/sha256/([0-9a-f]{64}))$`)
)

// check validates a manifest read from a bundle: only paths under fetch/
// and out/<image>/, no duplicates, well-formed hashes, blobs named by
// their own digest.
func (m *Manifest) check() error {
	if m.Version != formatVersion {
		return fmt.Errorf("%s: format version %d, want %d (made by another stevedore?)", ManifestName, m.Version, formatVersion)
	}
	images := map[string]bool{}
	for _, im := range m.Images {
		if !targetRE.MatchString(im) {
			return fmt.Errorf("%s: image %q is not a target name", ManifestName, im)
		}
		images[im] = true
	}
	seen := map[string]bool{}
	for _, mb := range m.Members {
		if err := checkMember(mb, images); err != nil {
			return fmt.Errorf("%s: member %s: %w", ManifestName, mb.Path, err)
		}
		if seen[mb.Path] {
			return fmt.Errorf("%s: member %s listed twice", ManifestName, mb.Path)
		}
		seen[mb.Path] = true
	}
	return nil
}

func checkMember(mb Member, images map[string]bool) error {
	if path.Clean(mb.Path) != mb.Path || strings.Contains(mb.Path, "..") {
		return fmt.Errorf("path is not clean")
	}
	if !hexRE.MatchString(mb.SHA256) || mb.Size < 0 {
		return fmt.Errorf("bad sha256 %q or size %d", mb.SHA256, mb.Size)
	}
	if fetchRE.MatchString(mb.Path) || stepRE.MatchString(mb.Path) || storeRE.MatchString(mb.Path) || lockRE.MatchString(mb.Path) {
		return nil
	}
	sub := outRE.FindStringSubmatch(mb.Path)
	if sub == nil {
		return fmt.Errorf("not under fetch/<stage>/<origin>/ or out/<target>/")
	}
	if !images[sub[1]] {
		return fmt.Errorf("image %s is not in the images list", sub[1])
	}
	if sub[3] != "" && sub[3] != mb.SHA256 {
		return fmt.Errorf("blob named %s hashes to %s", sub[3], mb.SHA256)
	}
	return nil
}

func parseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("parse %s: %w", ManifestName, err)
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}
