package assemble

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containerd/continuity/fs"
	"github.com/moby/buildkit/util/system"
)

// parentsSource is dispatchCopy's handling of one source: normalised, and
// with --parents split at an optional "/./" pivot into the directory the
// copy starts from and the include pattern below it; a pattern without
// wildcards must exist (required).
func parentsSource(src string, parents bool) (from string, include []string, required string, err error) {
	if parents {
		parent, pattern, ok := strings.Cut(src, "/./")
		if !ok {
			pattern, parent = src, "/"
		}
		pattern, err = system.NormalizePath("/", pattern, "linux", false)
		if err != nil {
			return "", nil, "", err
		}
		include = []string{strings.TrimPrefix(pattern, "/")}
		if !hasWildcards(parent) && !hasWildcards(pattern) {
			required, err = system.NormalizePath("/", filepath.Join(parent, pattern), "linux", false)
			if err != nil {
				return "", nil, "", err
			}
		}
		src = parent
	}
	from, err = system.NormalizePath("/", src, "linux", false)
	return from, include, required, err
}

// checkRequired fails when a --parents source without wildcards is missing.
func checkRequired(root, p string) error {
	if p == "" {
		return nil
	}
	full, err := fs.RootPath(root, p)
	if err != nil {
		return err
	}
	if _, err := os.Lstat(full); err != nil {
		return fmt.Errorf("%s not found", p)
	}
	return nil
}

// hasWildcards is dockerfile2llb's containsWildcards.
func hasWildcards(name string) bool {
	for i := 0; i < len(name); i++ {
		switch name[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// chownByName reports whether --chown names a user or group rather than
// numeric ids (refused with --link, as in BuildKit).
func chownByName(chown string) bool {
	for _, part := range strings.SplitN(chown, ":", 2) {
		if part == "" {
			continue
		}
		if _, err := parseUID(part); err != nil {
			return true
		}
	}
	return false
}
