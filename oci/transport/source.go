package transport

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// source gives access to the files of an image store (a directory or an
// archive) by their slash-separated name inside it.
type source interface {
	// Open returns the file called name, unverified (layout.Files).
	Open(name string) (io.ReadCloser, error)
	Close() error
}

// blobName is where a layout keeps blob h (the docker-archive aliases).
func blobName(h v1.Hash) string { return path.Join("blobs", h.Algorithm, h.Hex) }

// dirSource is an OCI layout directory.
type dirSource string

func openDir(dir string) (dirSource, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err != nil {
		return "", fmt.Errorf("open OCI layout %s: %w", dir, err)
	}
	return dirSource(dir), nil
}

func (d dirSource) Open(name string) (io.ReadCloser, error) {
	return os.Open(filepath.Join(string(d), filepath.FromSlash(name)))
}

func (d dirSource) Close() error { return nil }

// tarSource reads files of an uncompressed tar archive in place: one scan
// records where each file's data starts, reads are section reads.
type tarSource struct {
	f     *os.File
	files map[string]tarFile
}

type tarFile struct {
	off, size int64
	link      string // hard or symbolic link target, archive-relative
}

func openTar(file string) (*tarSource, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	var magic [2]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		f.Close()
		return nil, fmt.Errorf("read archive %s: it is gzip-compressed; decompress it first", file)
	}
	s := &tarSource{f: f, files: map[string]tarFile{}}
	if err := s.scan(); err != nil {
		f.Close()
		return nil, fmt.Errorf("read archive %s: %w", file, err)
	}
	return s, nil
}

func (s *tarSource) scan() error {
	tr := tar.NewReader(s.f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := cleanName(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg:
			off, err := s.f.Seek(0, io.SeekCurrent)
			if err != nil {
				return err
			}
			s.files[name] = tarFile{off: off, size: hdr.Size}
		case tar.TypeLink:
			s.files[name] = tarFile{link: cleanName(hdr.Linkname)}
		case tar.TypeSymlink:
			target := hdr.Linkname
			if !path.IsAbs(target) {
				target = path.Join(path.Dir(name), target)
			}
			s.files[name] = tarFile{link: cleanName(target)}
		}
	}
}

func cleanName(n string) string {
	return strings.TrimPrefix(path.Clean("/"+n), "/")
}

func (s *tarSource) Open(name string) (io.ReadCloser, error) {
	name = cleanName(name)
	for i := 0; i < 16; i++ {
		tf, ok := s.files[name]
		if !ok {
			return nil, fmt.Errorf("open %s: %w", name, os.ErrNotExist)
		}
		if tf.link == "" {
			return io.NopCloser(io.NewSectionReader(s.f, tf.off, tf.size)), nil
		}
		name = tf.link
	}
	return nil, fmt.Errorf("open %s: too many links", name)
}

func (s *tarSource) Close() error { return s.f.Close() }
