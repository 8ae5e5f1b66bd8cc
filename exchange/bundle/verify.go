package bundle

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"strings"
)

// Signed is what a bundle's signatures are checked against: the manifest's
// exact bytes and the signature members that follow it.
type Signed struct {
	Manifest   []byte
	Signatures [][]byte
}

// Verify reads the whole bundle and checks it against its manifest: every
// member present, in order, once, with the listed size and SHA-256, and
// nothing else. The error names the first bad member. It writes nothing.
// The manifest itself is only as trustworthy as its signatures (Signed),
// which the caller checks.
func Verify(file string) (*Manifest, error) {
	m, _, err := VerifySigned(file)
	return m, err
}

// VerifySigned is Verify that also returns the manifest's bytes and the
// bundle's signatures.
func VerifySigned(file string) (*Manifest, Signed, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, Signed{}, fmt.Errorf("verify bundle: %w", err)
	}
	defer f.Close()
	m, s, err := verifyStream(f)
	if err != nil {
		return nil, Signed{}, fmt.Errorf("verify bundle %s: %w", file, err)
	}
	return m, s, nil
}

func verifyStream(r io.Reader) (*Manifest, Signed, error) {
	tr := tar.NewReader(r)
	m, raw, err := readManifest(tr)
	if err != nil {
		return nil, Signed{}, err
	}
	signed := Signed{Manifest: raw}
	// hdr is always the member after the last one checked.
	hdr, err := tr.Next()
	for err == nil && hdr.Name == signatureName(len(signed.Signatures)+1) {
		if hdr.Typeflag != tar.TypeReg || hdr.Size > maxSignature || len(signed.Signatures) >= maxSignatures {
			return nil, Signed{}, fmt.Errorf("member %s: not a signature this bundle format allows", hdr.Name)
		}
		b, rerr := io.ReadAll(tr)
		if rerr != nil {
			return nil, Signed{}, fmt.Errorf("member %s: read: %w", hdr.Name, rerr)
		}
		signed.Signatures = append(signed.Signatures, b)
		hdr, err = tr.Next()
	}
	for i, want := range m.Members {
		if err == io.EOF {
			return nil, Signed{}, fmt.Errorf("member %s is missing (the bundle ends after %d of %d members)", want.Path, i, len(m.Members))
		}
		if err != nil {
			return nil, Signed{}, fmt.Errorf("member %s: read: %w", want.Path, err)
		}
		if hdr.Name != want.Path || hdr.Typeflag != tar.TypeReg {
			return nil, Signed{}, fmt.Errorf("member %s: found %q (type %c) in its place", want.Path, hdr.Name, hdr.Typeflag)
		}
		if err := checkHeader(hdr, want); err != nil {
			return nil, Signed{}, err
		}
		if err := checkContent(tr, want); err != nil {
			return nil, Signed{}, err
		}
		hdr, err = tr.Next()
	}
	if err != io.EOF {
		if err != nil {
			return nil, Signed{}, fmt.Errorf("after the last member: %w", err)
		}
		return nil, Signed{}, fmt.Errorf("member %s is not in the manifest", hdr.Name)
	}
	return m, signed, nil
}

// signatureName is the n-th signature member (n from 1); they follow the
// manifest.
func signatureName(n int) string { return fmt.Sprintf("%s.sig-%d", ManifestName, n) }

// Bounds of the signature members.
const (
	maxSignature  = 1 << 20
	maxSignatures = 64
)

// readManifest reads and checks the first member.
func readManifest(tr *tar.Reader) (*Manifest, []byte, error) {
	hdr, err := tr.Next()
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w (not a stevedore bundle?)", ManifestName, err)
	}
	if hdr.Name != ManifestName || hdr.Size > maxManifest {
		return nil, nil, fmt.Errorf("first member is %q, want %s (not a stevedore bundle?)", hdr.Name, ManifestName)
	}
	b, err := io.ReadAll(tr)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	m, err := parseManifest(b)
	return m, b, err
}

// checkHeader refuses a member whose header already contradicts the
// manifest before any of its data is read: another size, or a sparse file
// (PAX GNU.sparse records), whose holes the tar reader would expand to any
// size the header claims; stevedore never writes either.
func checkHeader(hdr *tar.Header, want Member) error {
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return fmt.Errorf("member %s is a sparse file; bundles hold plain files only", want.Path)
		}
	}
	if hdr.Size != want.Size {
		return fmt.Errorf("member %s is corrupt: %d bytes, the manifest says %d", want.Path, hdr.Size, want.Size)
	}
	return nil
}

// checkContent hashes a member's data and compares it with the manifest.
func checkContent(r io.Reader, want Member) error {
	sum, n, err := hashCopy(io.Discard, r)
	if err != nil {
		return fmt.Errorf("member %s: read: %w", want.Path, err)
	}
	if n != want.Size || sum != want.SHA256 {
		return fmt.Errorf("member %s is corrupt: %d bytes hashing to sha256:%s, the manifest says %d bytes, sha256:%s", want.Path, n, sum, want.Size, want.SHA256)
	}
	return nil
}
