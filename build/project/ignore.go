package project

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/patternmatcher/ignorefile"
)

// DockerignoreName is the ignore file BuildKit reads from a context's root.
const DockerignoreName = ".dockerignore"

// ReadIgnore returns the exclude patterns of the main build context as
// BuildKit's dockerui reads them: <containerfile>.dockerignore next to the
// Containerfile wins, else the context's .dockerignore; neither means none.
// The patterns are parsed by patternmatcher's ignorefile, BuildKit's own
// reader.
func ReadIgnore(containerfile, contextDir string) ([]string, error) {
	for _, p := range []string{containerfile + ".dockerignore", filepath.Join(contextDir, DockerignoreName)} {
		excludes, err := readIgnoreFile(p)
		if err == nil {
			return excludes, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return nil, nil
}

// ReadContextIgnore returns the patterns of a named local context: only its
// own .dockerignore, as dockerui's namedcontext reads it.
func ReadContextIgnore(dir string) ([]string, error) {
	excludes, err := readIgnoreFile(filepath.Join(dir, DockerignoreName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	return excludes, err
}

func readIgnoreFile(p string) ([]string, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	excludes, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("failed parsing %s: %w", p, err)
	}
	return excludes, nil
}
