package explain

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/stevedore-build/stevedore/oci/transport"
)

// Options tune a comparison.
type Options struct {
	// MaxDifferences caps the number of differences kept (0 means 1000).
	MaxDifferences int
}

// Images compares image a with image b. It returns an error when an image
// cannot be read or is corrupt (a blob that does not match its digest is
// named); differences are in the Result.
func Images(ctx context.Context, a, b *transport.Store, opt Options) (*Result, error) {
	if opt.MaxDifferences <= 0 {
		opt.MaxDifferences = 1000
	}
	c := &comparer{ctx: ctx, a: a, b: b, opt: opt,
		res: &Result{A: a.Ref.String(), B: b.Ref.String(), Differences: []Difference{}}}
	if err := c.top(); err != nil {
		return nil, err
	}
	c.res.Identical = len(c.res.Differences) == 0
	return c.res, nil
}

// Refs opens the two references (see transport.ParseRef; tree resolves out/
// target names) and compares them.
func Refs(ctx context.Context, refA, refB, tree string, opt Options) (*Result, error) {
	a, err := transport.OpenString(refA, tree)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	b, err := transport.OpenString(refB, tree)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	return Images(ctx, a, b, opt)
}

type comparer struct {
	ctx  context.Context
	a, b *transport.Store
	opt  Options
	res  *Result
}

func (c *comparer) add(d Difference) {
	if len(c.res.Differences) >= c.opt.MaxDifferences {
		c.res.Truncated = true
		return
	}
	c.res.Differences = append(c.res.Differences, d)
}

var descDigestRE = regexp.MustCompile(`^manifests\[(\d+)\]\.(digest|size)$`)

func (c *comparer) top() error {
	ia, ib := c.a.IndexJSON, c.b.IndexJSON
	switch {
	case ia != nil && ib != nil:
		jsonDiff(LevelIndexJSON, "index.json", ia, ib, c.descriptorSkip(descDigestRE, c.a.Manifests, c.b.Manifests), c.add)
	case (ia != nil || ib != nil) && c.a.Ref.Tag == "" && c.b.Ref.Tag == "":
		c.add(Difference{Level: LevelIndexJSON, Path: "index.json", Field: "presence", A: present(ia != nil), B: present(ib != nil)})
	}
	return c.descriptors("", c.a.Manifests, c.b.Manifests, ia == nil || ib == nil)
}

func present(ok bool) string {
	if ok {
		return "present"
	}
	return Absent
}

// descriptorSkip suppresses digest/size differences of descriptor pairs
// that exist on both sides: the comparison of their content explains them.
func (c *comparer) descriptorSkip(re *regexp.Regexp, da, db []v1.Descriptor) func(string) bool {
	return func(field string) bool {
		m := re.FindStringSubmatch(field)
		if m == nil {
			return false
		}
		i, _ := strconv.Atoi(m[1])
		return i < len(da) && i < len(db)
	}
}

// descriptors compares two lists of index entries pairwise. reportCount
// says whether a length difference has not been reported by a JSON diff.
func (c *comparer) descriptors(prefix string, da, db []v1.Descriptor, reportCount bool) error {
	if reportCount && len(da) != len(db) {
		c.add(Difference{Level: LevelIndex, Path: prefix + "manifests", Field: "length",
			A: strconv.Itoa(len(da)), B: strconv.Itoa(len(db))})
	}
	for i := 0; i < len(da) && i < len(db); i++ {
		if err := c.descriptor(fmt.Sprintf("%smanifests[%d]", prefix, i), da[i], db[i], reportCount); err != nil {
			return err
		}
	}
	return nil
}

// descriptor compares the documents two index entries point to. report
// says whether differences of the descriptors themselves are not already
// reported by the JSON comparison of their parents.
func (c *comparer) descriptor(path string, da, db v1.Descriptor, report bool) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	ka, kb := docKind(da.MediaType), docKind(db.MediaType)
	if ka != kb {
		return c.unwrap(path, da, db, ka, kb, report)
	}
	switch ka {
	case "index":
		return c.index(path, da, db)
	case "manifest":
		return c.manifest(path, da, db)
	}
	return c.opaqueBlob(LevelIndex, path, da, db)
}

func docKind(mt types.MediaType) string {
	switch mt {
	case types.OCIImageIndex, types.DockerManifestList:
		return "index"
	case types.OCIManifestSchema1, types.DockerManifestSchema2:
		return "manifest"
	}
	return "other"
}

// readPair reads and verifies the blobs of two descriptors.
func (c *comparer) readPair(da, db v1.Descriptor) ([]byte, []byte, error) {
	ra, err := c.a.ReadBlob(da)
	if err != nil {
		return nil, nil, err
	}
	rb, err := c.b.ReadBlob(db)
	if err != nil {
		return nil, nil, err
	}
	return ra, rb, nil
}

func (c *comparer) index(path string, da, db v1.Descriptor) error {
	ra, rb, err := c.readPair(da, db)
	if err != nil {
		return err
	}
	var ia, ib v1.IndexManifest
	if err := json.Unmarshal(ra, &ia); err != nil {
		return fmt.Errorf("parse index %s in %s: %w", da.Digest, c.a.Ref, err)
	}
	if err := json.Unmarshal(rb, &ib); err != nil {
		return fmt.Errorf("parse index %s in %s: %w", db.Digest, c.b.Ref, err)
	}
	jsonDiff(LevelIndex, path, ra, rb, c.descriptorSkip(descDigestRE, ia.Manifests, ib.Manifests), c.add)
	return c.descriptors(path+"/", ia.Manifests, ib.Manifests, false)
}

// opaqueBlob compares blobs explain does not know how to open.
func (c *comparer) opaqueBlob(level Level, path string, da, db v1.Descriptor) error {
	if da.Digest == db.Digest {
		return nil
	}
	c.add(Difference{Level: level, Path: path, Field: "digest", A: da.Digest.String(), B: db.Digest.String()})
	return nil
}

// unwrap handles an index on one side where the other has a manifest (an
// OCI layout against a docker-archive): it reports the structure and, when
// the index holds one manifest, compares that manifest with the other side.
func (c *comparer) unwrap(path string, da, db v1.Descriptor, ka, kb string, report bool) error {
	if report {
		c.add(Difference{Level: LevelIndex, Path: path, Field: "mediaType", A: string(da.MediaType), B: string(db.MediaType)})
	}
	switch {
	case ka == "index" && kb == "manifest":
		inner, ok, err := onlyManifest(c.a, da)
		if err != nil || !ok {
			return err
		}
		return c.descriptor(path+"/manifests[0]", inner, db, true)
	case kb == "index" && ka == "manifest":
		inner, ok, err := onlyManifest(c.b, db)
		if err != nil || !ok {
			return err
		}
		return c.descriptor(path+"/manifests[0]", da, inner, true)
	}
	return nil
}

// onlyManifest returns the single entry of the index d describes.
func onlyManifest(img *transport.Store, d v1.Descriptor) (v1.Descriptor, bool, error) {
	raw, err := img.ReadBlob(d)
	if err != nil {
		return v1.Descriptor{}, false, err
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		return v1.Descriptor{}, false, fmt.Errorf("parse index %s in %s: %w", d.Digest, img.Ref, err)
	}
	if len(idx.Manifests) != 1 {
		return v1.Descriptor{}, false, nil
	}
	return idx.Manifests[0], true, nil
}
