package recipes

import (
	"github.com/containerd/platforms"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// DefaultPlatform is the platform of packages that do not set platforms:
// the build platform, as os/arch.
var DefaultPlatform = platforms.Format(oci.BuildPlatform)

// Tree is a loaded, validated package tree.
type Tree struct {
	Root     string     // absolute path of the tree
	Packages []*Package // sorted by stage, then name
	Targets  []*Target  // sorted by name
	// Warnings are problems that do not stop a build (unknown keys, a
	// directory with only one of the two recipe files).
	Warnings Problems

	broken map[string]bool // targets of packages that failed to load
}

// Package is one packages/<stage>/<name> directory.
type Package struct {
	Stage string // directory under packages/
	Name  string // directory name, equal to [package] name
	Dir   string // absolute directory
	// TOMLPath and ContainerfilePath are relative to the tree root.
	TOMLPath          string
	ContainerfilePath string

	Version     string // effective version (after version_from), may be empty
	VersionFrom string // the target "<stage>-<name>" the version is copied from, or empty
	Description string
	License     string
	Website     string
	Platforms   []string
	// Subpackages, when set, are exactly the package's targets: each
	// <stage>-<sub> is built from this Containerfile's stage package-<sub>.
	// The package's own name is a target only when it is listed.
	Subpackages []string
	Sources     []Source // sorted by key

	Containerfile *containerfile.File

	tomlVersion string // [package] version as written (before version_from)

	keyLine  func(key string) int // line of a package.toml key, 0 if unknown
	lineDeps []lineDep            // dependencies as StageX's generator reads them
}

// ID returns <stage>-<name>, how messages name the package. It is also the
// package's target name, unless the package has subpackages that do not
// list its own name (then it has no target of that name).
func (p *Package) ID() string { return p.Stage + "-" + p.Name }

// Source is one [sources.<key>] entry with every placeholder expanded.
type Source struct {
	Key  string
	Hash string // lowercase SHA-256 hex
	// Version is the source's own version, else the package's own version
	// (as in StageX's fetch.py: version_from does not apply to sources).
	Version    string
	OwnVersion bool // version was set in the source's own section
	Format     string
	GitSHA     string
	File       string   // expanded file name
	Mirrors    []string // expanded URLs, in order
	// FileTemplate and MirrorTemplates are as written in package.toml.
	FileTemplate    string
	MirrorTemplates []string

	argFile string // the file name of the <KEY>_SOURCE build argument
}

// Target is one image to build: a package, or a subpackage of one.
type Target struct {
	Name    string // <stage>-<name>, the out/ directory and digest name
	Stage   string
	Package string   // the package or subpackage name
	Origin  *Package // the package whose Containerfile and sources build it
	// StageTarget is the Containerfile stage to build (--target):
	// package-<sub> for a subpackage, "" (the last stage) otherwise.
	StageTarget string
	Version     string
	Platforms   []string          // as set in package.toml; empty means the build's default
	BuildArgs   map[string]string // what StageX passes with --build-arg
	FetchDir    string            // fetch/<stage>/<origin>, relative to the tree root
	// Deps are the targets this one depends on, sorted: as in StageX's
	// generator, every stagex/<target> its package's Containerfile names on
	// a line starting with "FROM stagex/", "FROM --platform=linux/386
	// stagex/" or "COPY --from=stagex/", whichever stage uses it, except
	// itself (make drops that circular prerequisite). They are built first
	// and are the stagex/<target> contexts of the build.
	Deps []string
	// DepPos is where each dependency is first named in the Containerfile.
	DepPos map[string]containerfile.Pos
	// ImageRefs are the images the target uses that are neither stages,
	// stagex/<target> nor scratch (FROM alpine:3.20, COPY --from=repo@sha256:...),
	// as written after ARG expansion, each once per platform at its first
	// use, sorted by name. They are valid references; resolving them is
	// assemble's job.
	ImageRefs []containerfile.Ref
}

// IsSubpackage reports whether the target is one of its package's listed
// subpackages, built with --target package-<name> (also when the name is
// the package's own).
func (t *Target) IsSubpackage() bool { return len(t.Origin.Subpackages) > 0 }
