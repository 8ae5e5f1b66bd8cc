package project

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// WriteOCIDir writes img as an OCI layout directory (type=oci,tar=false).
func WriteOCIDir(dir string, img *image.Assembled) error { return image.WriteLayout(dir, img) }

// WriteOCITar writes img as a tar of an OCI layout (type=oci,dest=FILE),
// atomically. The layout's files are the ones WriteOCIDir writes; the tar
// lists them in name order with fixed metadata.
func WriteOCITar(file string, img *image.Assembled) error {
	return withScratchLayout(file, img, func(layout string) error {
		return atomicfile.Write(file, func(w io.Writer) error { return tarDir(w, layout) })
	})
}

// withScratchLayout writes img as an OCI layout in a temp dir next to file
// (flocked while in use, so that a later write of file sweeps it when this
// process dies), calls fn with the layout and removes it.
func withScratchLayout(file string, img *image.Assembled, fn func(layout string) error) error {
	tmp, unlock, err := atomicfile.TempDir(file)
	if err != nil {
		return err
	}
	defer func() { os.RemoveAll(tmp); unlock() }()
	layout := filepath.Join(tmp, "layout")
	if err := image.WriteLayout(layout, img); err != nil {
		return err
	}
	return fn(layout)
}

// tarDir writes the regular files and directories under dir, sorted.
func tarDir(w io.Writer, dir string) error {
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, n := range names {
		p := filepath.Join(dir, filepath.FromSlash(n))
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		h := &tar.Header{Name: n, Mode: 0o644, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if fi.IsDir() {
			h.Typeflag, h.Name, h.Mode = tar.TypeDir, n+"/", 0o755
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		h.Typeflag, h.Size = tar.TypeReg, fi.Size()
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		f.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}
