package assemble

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/moby/go-archive/compression"
)

// checkArchive refuses an archive for ADD when an entry would land outside
// the destination: a name or hardlink target climbing out with "..", or
// an entry written, or a hardlink target reached, through a symlink the
// archive itself created (the classic escape). BuildKit's chrooted untar confines such entries
// silently; stevedore stops with the entry's name, because a source
// archive that tries this is not one to build from. Plain symlinks,
// absolute ones included, are fine: they are only data in the image.
func checkArchive(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := compression.DecompressStream(f)
	if err != nil {
		return err
	}
	defer r.Close()
	tr := tar.NewReader(r)
	links := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		name, ok := inside(h.Name)
		if !ok {
			return fmt.Errorf("archive entry %q escapes the destination; refusing the archive", h.Name)
		}
		if dir := throughLink(name, links); dir != "" {
			return fmt.Errorf("archive entry %q is written through the symlink %q the archive created; refusing the archive", h.Name, dir)
		}
		switch h.Typeflag {
		case tar.TypeSymlink:
			links[name] = true
		case tar.TypeLink:
			target, ok := inside(h.Linkname)
			if !ok {
				return fmt.Errorf("archive hardlink %q -> %q points outside the destination; refusing the archive", h.Name, h.Linkname)
			}
			if dir := throughLink(target, links); dir != "" {
				return fmt.Errorf("archive hardlink %q -> %q reaches its target through the symlink %q the archive created; refusing the archive", h.Name, h.Linkname, dir)
			}
		}
		if h.Typeflag != tar.TypeSymlink {
			delete(links, name)
		}
	}
}

// throughLink returns the first parent directory of name that is one of
// the archive's symlinks, or "".
func throughLink(name string, links map[string]bool) string {
	for dir := path.Dir(name); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if links[dir] {
			return dir
		}
	}
	return ""
}

// inside cleans an entry name relative to the destination and reports
// whether it stays inside.
func inside(name string) (string, bool) {
	clean := path.Clean("/" + name)
	rel := strings.TrimPrefix(clean, "/")
	if rel == "" {
		rel = "."
	}
	// path.Clean of "/"+name never climbs above "/", so compare with the
	// raw components to catch "..".
	depth := 0
	for _, c := range strings.Split(name, "/") {
		switch c {
		case "", ".":
		case "..":
			depth--
			if depth < 0 {
				return rel, false
			}
		default:
			depth++
		}
	}
	return rel, true
}
