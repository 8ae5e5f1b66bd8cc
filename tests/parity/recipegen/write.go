package recipegen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// contextDirMtime is the mtime of every directory Write creates in a
// build context: fixed, so that copying a directory is deterministic.
const contextDirMtime = 1000

// Write writes t under root: packages/ (modes and mtimes set explicitly,
// whatever the umask) and mirror/ with every source, and substitutes the
// sources' SHA-256 into package.toml. busybox is the host file the base
// package's source is copied from (/bin/busybox).
func (t *Tree) Write(root, busybox string) error {
	mirror := filepath.Join(root, "mirror")
	if err := os.MkdirAll(mirror, 0o755); err != nil {
		return err
	}
	hashes := map[string]string{}
	for _, p := range t.Packages {
		for _, s := range p.Sources {
			data, err := s.content(busybox)
			if err != nil {
				return fmt.Errorf("source %s of %s: %w", s.Key, p.Name, err)
			}
			if err := os.WriteFile(filepath.Join(mirror, s.File), data, 0o644); err != nil {
				return err
			}
			sum := sha256.Sum256(data)
			hashes[s.File] = hex.EncodeToString(sum[:])
		}
	}
	for _, p := range t.Packages {
		if err := p.write(root, hashes); err != nil {
			return err
		}
	}
	return fixMetadata(root, mirror)
}

// fixMetadata gives every directory under root and every mirror file the
// fixed mode and mtime, so that two writes agree even when they straddle a
// second or run under different umasks. Package files already have
// theirs; setting a directory's mtime changes no child's, so this runs
// once every file is written.
func fixMetadata(root, mirror string) error {
	mt := time.Unix(contextDirMtime, 0)
	return filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil || p == root {
			return err
		}
		mode := os.FileMode(0o755)
		switch {
		case fi.IsDir():
		case filepath.Dir(p) == mirror:
			mode = 0o644
		default:
			return nil
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
		return os.Chtimes(p, mt, mt)
	})
}

func (p *Package) write(root string, hashes map[string]string) error {
	dir := filepath.Join(root, p.Dir())
	toml := p.PackageTOML()
	for file, sum := range hashes {
		toml = strings.ReplaceAll(toml, "@SHA256:"+file+"@", sum)
	}
	files := []*ContextFile{
		{Path: "package.toml", Mode: 0o644, Mtime: contextDirMtime, Body: toml},
		{Path: "Containerfile", Mode: 0o644, Mtime: contextDirMtime, Body: p.Containerfile()},
	}
	files = append(files, p.Context...)
	for _, f := range files {
		full := filepath.Join(dir, f.Path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, []byte(f.Body), 0o600); err != nil {
			return err
		}
		if err := os.Chmod(full, os.FileMode(f.Mode&0o777)|modeBits(f.Mode)); err != nil {
			return err
		}
		mt := time.Unix(f.Mtime, 0)
		if err := os.Chtimes(full, mt, mt); err != nil {
			return err
		}
	}
	// fixMetadata gives the package's directories their mode and mtime.
	return nil
}

// modeBits converts setuid/setgid/sticky bits of a Unix mode.
func modeBits(m uint32) os.FileMode {
	var out os.FileMode
	if m&0o4000 != 0 {
		out |= os.ModeSetuid
	}
	if m&0o2000 != 0 {
		out |= os.ModeSetgid
	}
	if m&0o1000 != 0 {
		out |= os.ModeSticky
	}
	return out
}

// content returns the source file's bytes.
func (s *Source) content(busybox string) ([]byte, error) {
	switch s.Kind {
	case "busybox":
		return os.ReadFile(busybox)
	case "plain":
		return []byte(s.Text), nil
	}
	raw, err := tarOf(s.Entries)
	if err != nil {
		return nil, err
	}
	switch s.Kind {
	case "tar":
		return raw, nil
	case "tar.gz":
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.Write(raw)
		zw.Close()
		return b.Bytes(), nil
	case "tar.bz2":
		return filter(raw, "bzip2", "-9")
	case "tar.xz":
		return filter(raw, "xz", "-1", "-T1")
	case "tar.zst":
		return filter(raw, "zstd", "-q", "-3")
	}
	return nil, fmt.Errorf("unknown kind %q", s.Kind)
}

// filter pipes data through a compressor.
func filter(data []byte, name string, args ...string) ([]byte, error) {
	cmd := exec.Command(name, args...)
	cmd.Stdin = bytes.NewReader(data)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %v: %s", name, err, errb.String())
	}
	return out.Bytes(), nil
}

// tarOf writes entries as a tar (PAX where names need it).
func tarOf(entries []ArchiveEntry) ([]byte, error) {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: e.Mode, Uid: e.UID, Gid: e.GID, ModTime: time.Unix(e.Mtime, 0), Format: tar.FormatPAX}
		switch e.Type {
		case 'd':
			h.Typeflag = tar.TypeDir
		case 's':
			h.Typeflag, h.Linkname = tar.TypeSymlink, e.Body
		case 'h':
			h.Typeflag, h.Linkname = tar.TypeLink, e.Body
		default:
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.Body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := io.WriteString(tw, e.Body); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
