package export

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
	"github.com/stevedore-build/stevedore/oci/layout"
)

// tarTime is the modification time of every archive entry: archives of the
// same image are identical.
var tarTime = time.Unix(0, 0).UTC()

// WriteOCIDir writes the image as an OCI layout directory at dir (skopeo
// oci:DIR, podman load of a directory) with oci/layout's one writer: every
// blob copied byte for byte and verified, index.json naming the image
// stagex/<target>:<tag>, dir replaced atomically. An existing dir must be
// an OCI layout or empty, so that a mistyped -o never deletes unrelated
// files.
func (s *Source) WriteOCIDir(dir string) error {
	if err := s.writeOCIDir(dir); err != nil {
		return fmt.Errorf("export %s to %s: %w", s.Target, dir, err)
	}
	return nil
}

func (s *Source) writeOCIDir(dir string) error {
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	descs, err := s.blobs()
	if err != nil {
		return err
	}
	raw, err := s.namedIndexJSON()
	if err != nil {
		return err
	}
	w, err := layout.Create(dir)
	if err != nil {
		return err
	}
	defer w.Close()
	for _, d := range descs {
		rc, err := s.img.Blob(d.Digest, d.Size)
		if err != nil {
			return err
		}
		err = w.AddStream(digest.Digest(d.Digest.String()), d.Size, rc, s.Target)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return w.Commit(raw)
}

// WriteOCIArchive writes the image as a tar of an OCI layout (podman load,
// skopeo oci-archive:FILE), atomically.
func (s *Source) WriteOCIArchive(file string) error {
	if err := atomicfile.Write(file, s.WriteOCITar); err != nil {
		return fmt.Errorf("export %s to %s: %w", s.Target, file, err)
	}
	return nil
}

// WriteOCITar streams the OCI layout as an uncompressed tar to w: the form
// both oci-archive files and containerd's import take. Entries are in a
// fixed order with fixed metadata; every blob is verified as it is copied.
func (s *Source) WriteOCITar(w io.Writer) error {
	descs, err := s.blobs()
	if err != nil {
		return err
	}
	raw, err := s.namedIndexJSON()
	if err != nil {
		return err
	}
	tw := tar.NewWriter(w)
	if err := tarFile(tw, "oci-layout", int64(len(layout.LayoutFile)), stringReader(layout.LayoutFile)); err != nil {
		return err
	}
	if err := tarFile(tw, "index.json", int64(len(raw)), byteReader(raw)); err != nil {
		return err
	}
	for _, d := range []string{"blobs/", "blobs/sha256/"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: tarTime, Format: tar.FormatPAX}); err != nil {
			return err
		}
	}
	for _, d := range descs {
		if err := s.tarBlob(tw, d); err != nil {
			return fmt.Errorf("export %s: %w", s.Target, err)
		}
	}
	return tw.Close()
}

func (s *Source) tarBlob(tw *tar.Writer, d v1.Descriptor) error {
	rc, err := s.img.Blob(d.Digest, d.Size)
	if err != nil {
		return err
	}
	defer rc.Close()
	name := path.Join("blobs", d.Digest.Algorithm, d.Digest.Hex)
	return tarFile(tw, name, d.Size, func() (io.Reader, error) { return rc, nil })
}

func tarFile(tw *tar.Writer, name string, size int64, open func() (io.Reader, error)) error {
	r, err := open()
	if err != nil {
		return err
	}
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: tarTime, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, r)
	if err != nil {
		return fmt.Errorf("copy %s: %w", name, err)
	}
	if n != size {
		return fmt.Errorf("copy %s: %d bytes, want %d", name, n, size)
	}
	return nil
}

func stringReader(s string) func() (io.Reader, error) { return byteReader([]byte(s)) }

func byteReader(b []byte) func() (io.Reader, error) {
	return func() (io.Reader, error) { return bytes.NewReader(b), nil }
}
