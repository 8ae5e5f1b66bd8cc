package transport

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Kind is the form an image is stored in.
type Kind string

// The image forms Open understands.
const (
	KindLayout        Kind = "oci"
	KindOCIArchive    Kind = "oci-archive"
	KindDockerArchive Kind = "docker-archive"
)

// Ref is a parsed image reference.
type Ref struct {
	// Kind is the storage form.
	Kind Kind
	// Path is the layout directory or the archive file.
	Path string
	// Tag selects one manifest by its org.opencontainers.image.ref.name
	// annotation; empty means every manifest of index.json.
	Tag string
}

// String formats r in the syntax ParseRef accepts.
func (r Ref) String() string {
	s := string(r.Kind) + ":" + r.Path
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	return s
}

// ParseRef parses an image reference. Accepted forms:
//
//	DIR                    an OCI layout directory (has index.json)
//	oci:DIR[:TAG]          an OCI layout directory, optionally one tag of it
//	oci-archive:FILE[:TAG] a tar of an OCI layout
//	docker-archive:FILE    a docker save archive
//	NAME                   a target of the tree: <tree>/out/NAME (tree may be empty)
//
// A bare argument is a layout directory when it exists or contains a path
// separator; otherwise it names an out/ target of tree.
func ParseRef(s, tree string) (Ref, error) {
	if s == "" {
		return Ref{}, fmt.Errorf("empty image reference")
	}
	kind, rest, ok := strings.Cut(s, ":")
	if ok {
		switch Kind(kind) {
		case KindLayout, KindOCIArchive:
			p, tag := splitTag(rest)
			if p == "" {
				return Ref{}, fmt.Errorf("image reference %q: no path", s)
			}
			return Ref{Kind: Kind(kind), Path: p, Tag: tag}, nil
		case KindDockerArchive:
			if rest == "" {
				return Ref{}, fmt.Errorf("image reference %q: no path", s)
			}
			return Ref{Kind: KindDockerArchive, Path: rest}, nil
		}
	}
	if strings.ContainsRune(s, os.PathSeparator) || s == "." || s == ".." {
		return Ref{Kind: KindLayout, Path: s}, nil
	}
	if fi, err := os.Stat(s); err == nil && fi.IsDir() {
		return Ref{Kind: KindLayout, Path: s}, nil
	}
	if tree == "" {
		return Ref{}, fmt.Errorf("image reference %q: not a directory and no package tree given", s)
	}
	return Ref{Kind: KindLayout, Path: filepath.Join(tree, "out", s)}, nil
}

// splitTag splits "path:tag" at the last colon when the part after it looks
// like a tag (not empty, no path separator), so that paths with colons still work when
// they contain a separator after the last colon.
func splitTag(s string) (path, tag string) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || i == len(s)-1 || strings.ContainsRune(s[i+1:], '/') {
		return s, ""
	}
	return s[:i], s[i+1:]
}
