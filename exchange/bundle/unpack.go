package bundle

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Report says what Unpack did.
type Report struct {
	// Manifest is the bundle's verified manifest.
	Manifest *Manifest
	// Sources and Images count what was written; the Skipped counts are
	// what the tree already had, identical.
	Sources, Images               int
	SkippedSources, SkippedImages int
}

// Unpack verifies the whole bundle (Verify), checks that nothing in tree
// conflicts with it (a fetch/ file or out/<target> that exists with other
// content), and only then puts the sources into fetch/ and the images into
// out/, each file and each image atomically. Nothing is written when any
// check fails.
func Unpack(file, tree string) (Report, error) {
	return UnpackTrusted(file, tree, nil)
}

// TrustFunc decides whether a verified bundle may be unpacked, from its
// manifest's bytes and signatures (see digests/signature.VerifyBundle).
type TrustFunc func(Signed) error

// UnpackTrusted is Unpack that first asks trust (nil: trust any bundle
// that matches its own manifest) and writes nothing if it refuses.
func UnpackTrusted(file, tree string, trust TrustFunc) (Report, error) {
	m, signed, err := VerifySigned(file)
	if err != nil {
		return Report{}, err
	}
	if trust != nil {
		if err := trust(signed); err != nil {
			return Report{}, fmt.Errorf("unbundle %s: %w", file, err)
		}
	}
	u := &unpacker{tree: tree, m: m, signed: signed, skip: map[string]bool{}, tmp: map[string]string{}, rep: Report{Manifest: m}}
	defer u.release()
	if err := u.plan(); err != nil {
		return Report{}, fmt.Errorf("unbundle %s into %s: %w", file, tree, err)
	}
	if err := u.extract(file); err != nil {
		u.cleanup()
		return Report{}, fmt.Errorf("unbundle %s into %s: %w", file, tree, err)
	}
	return u.rep, nil
}

type unpacker struct {
	tree   string
	m      *Manifest
	signed Signed
	skip   map[string]bool   // member paths and image names already in place
	tmp    map[string]string // image -> its temp directory
	// unlocks release the flocks of the temp directories.
	unlocks []func()
	rep     Report
}

// plan marks what is already in place and refuses conflicts.
func (u *unpacker) plan() error {
	for _, im := range u.m.Images {
		same, err := u.sameImage(im)
		if err != nil {
			return err
		}
		u.skip[im] = same
	}
	for _, mb := range u.m.Members {
		if !isPlainFile(mb.Path) {
			continue
		}
		have, err := hashMember(u.tree, mb.Path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if have.SHA256 != mb.SHA256 {
			return fmt.Errorf("%s exists with other content (sha256:%s); remove it first", mb.Path, have.SHA256)
		}
		u.skip[mb.Path] = true
	}
	return nil
}

// sameImage reports whether out/<image> already holds the bundle's image
// (same index.json); an existing different one is a conflict.
func (u *unpacker) sameImage(image string) (bool, error) {
	rel := "out/" + image + "/index.json"
	have, err := hashMember(u.tree, rel)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(u.tree, "out", image)); serr == nil {
			return false, fmt.Errorf("out/%s exists without index.json; remove it first", image)
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, mb := range u.m.Members {
		if mb.Path == rel {
			if mb.SHA256 != have.SHA256 {
				return false, fmt.Errorf("out/%s exists and holds another image; remove it (or rebuild) first", image)
			}
			return true, nil
		}
	}
	return false, fmt.Errorf("image %s has no index.json in the bundle", image)
}

// extract reads the bundle again and writes every member not skipped.
func (u *unpacker) extract(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	_, raw, err := readManifest(tr)
	if err != nil {
		return err
	}
	if !bytes.Equal(raw, u.signed.Manifest) {
		return fmt.Errorf("the bundle changed while it was unpacked")
	}
	for i := range u.signed.Signatures {
		if hdr, err := tr.Next(); err != nil || hdr.Name != signatureName(i+1) {
			return fmt.Errorf("the bundle changed while it was unpacked")
		}
	}
	for _, mb := range u.m.Members {
		if _, err := tr.Next(); err != nil {
			return fmt.Errorf("member %s: %w", mb.Path, err)
		}
		if err := u.write(tr, mb); err != nil {
			return err
		}
	}
	return u.finishImages()
}
