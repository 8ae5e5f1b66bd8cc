package recipes

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

const (
	tomlName          = "package.toml"
	containerfileName = "Containerfile"
)

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._+-]*$`)

// Load reads and validates every package of the tree at root. The error,
// when the tree has problems, is Problems: all of them at once.
func Load(root string, opts Options) (*Tree, error) {
	opts = opts.withDefaults()
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("load tree %s: %w", root, err)
	}
	pkgRoot := filepath.Join(abs, "packages")
	if fi, err := os.Stat(pkgRoot); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("load tree %s: no packages/ directory (a StageX tree has packages/<stage>/<name>/{package.toml,Containerfile}; pass --tree)", abs)
	}
	t := &Tree{Root: abs, broken: map[string]bool{}}
	probs := &problemList{}
	dirs, err := packageDirs(pkgRoot)
	if err != nil {
		return nil, fmt.Errorf("load tree %s: %w", abs, err)
	}
	if err := t.loadPackages(pkgRoot, dirs, probs); err != nil {
		return nil, fmt.Errorf("load tree %s: %w", abs, err)
	}
	resolveVersions(t.Packages, t.broken, probs)
	for _, p := range t.Packages {
		expandSources(p, probs)
	}
	t.makeTargets(opts, probs)
	t.resolveDeps(opts, probs)
	if err := probs.err(); err != nil {
		return nil, err
	}
	return t, nil
}

// loadPackages reads the packages in dirs, and looks for stray
// Containerfiles, on every processor at once. What each found is merged
// in the order of a sequential load (strays, then dirs in order), so the
// tree, its warnings and problems are the same.
func (t *Tree) loadPackages(pkgRoot string, dirs []string, probs *problemList) error {
	type loaded struct {
		sub   *Tree
		probs problemList
		pkg   *Package
	}
	res := make([]loaded, len(dirs))
	var strays problemList
	var strayErr error
	var wg sync.WaitGroup
	wg.Go(func() { strayErr = strayContainerfiles(t.Root, pkgRoot, &strays) })
	next := atomic.Int64{}
	for range max(1, min(runtime.GOMAXPROCS(0), len(dirs))) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(dirs); i = int(next.Add(1)) - 1 {
				r := &res[i]
				r.sub = &Tree{Root: t.Root, broken: map[string]bool{}}
				r.pkg = r.sub.loadPackage(dirs[i], &r.probs)
			}
		})
	}
	wg.Wait()
	if strayErr != nil {
		return strayErr
	}
	probs.merge(&strays)
	for i := range res {
		r := &res[i]
		probs.merge(&r.probs)
		t.Warnings = append(t.Warnings, r.sub.Warnings...)
		maps.Copy(t.broken, r.sub.broken)
		if r.pkg != nil {
			t.Packages = append(t.Packages, r.pkg)
		}
	}
	return nil
}

// packageDirs lists packages/<stage>/<name> directories, sorted.
func packageDirs(pkgRoot string) ([]string, error) {
	stages, err := os.ReadDir(pkgRoot)
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, s := range stages {
		if !s.IsDir() {
			continue
		}
		names, err := os.ReadDir(filepath.Join(pkgRoot, s.Name()))
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if n.IsDir() {
				dirs = append(dirs, filepath.Join(pkgRoot, s.Name(), n.Name()))
			}
		}
	}
	sort.Strings(dirs)
	return dirs, nil
}

// strayContainerfiles reports files named Containerfile under packages/
// that are not packages/<stage>/<name>/Containerfile: StageX's generator
// (src/targets.py) walks all of packages/ and fails on them.
func strayContainerfiles(root, pkgRoot string, probs *problemList) error {
	return filepath.WalkDir(pkgRoot, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || d.Name() != containerfileName {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			if fi, err := os.Stat(path); err == nil && fi.IsDir() {
				return nil
			}
		}
		rel, _ := filepath.Rel(pkgRoot, path)
		if strings.Count(rel, string(filepath.Separator)) != 2 {
			r, _ := filepath.Rel(root, path)
			probs.add(r, 0, "", "StageX's generator (src/targets.py) reads every file named Containerfile under packages/ as packages/<stage>/<name>/Containerfile and fails on this one: rename or move it")
		}
		return nil
	})
}

// loadPackage reads one package directory; nil when it is not a package.
func (t *Tree) loadPackage(dir string, probs *problemList) *Package {
	rel := t.rel(dir)
	hasTOML := exists(filepath.Join(dir, tomlName))
	hasCF := exists(filepath.Join(dir, containerfileName))
	if !hasTOML || !hasCF {
		if hasTOML != hasCF {
			missing := containerfileName
			if !hasTOML {
				missing = tomlName
			}
			t.Warnings = append(t.Warnings, Problem{File: rel, Msg: "has no " + missing + ", so it is not a package (a package needs both package.toml and Containerfile)"})
		}
		return nil
	}
	p := &Package{
		Stage:             filepath.Base(filepath.Dir(dir)),
		Name:              filepath.Base(dir),
		Dir:               dir,
		TOMLPath:          filepath.Join(rel, tomlName),
		ContainerfilePath: filepath.Join(rel, containerfileName),
	}
	if !nameRE.MatchString(p.Stage) || strings.Contains(p.Stage, "-") {
		probs.add(rel, 0, "", "stage directory %q: use lowercase letters and digits without '-' (the target name is <stage>-<name>)", p.Stage)
	}
	okTOML := t.readTOML(p, probs)
	okCF := t.readContainerfile(p, probs)
	if !okTOML || !okCF {
		t.markBroken(p)
		return nil
	}
	return p
}

func (t *Tree) readContainerfile(p *Package, probs *problemList) bool {
	data, err := os.ReadFile(filepath.Join(p.Dir, containerfileName))
	if err != nil {
		probs.add(p.ContainerfilePath, 0, "", "read: %v", err)
		return false
	}
	f, err := containerfile.Parse(p.ContainerfilePath, data)
	if err != nil {
		var es containerfile.Errors
		if errors.As(err, &es) {
			for _, e := range es {
				probs.add(e.Pos.File, e.Pos.Line, "", "%s", e.Msg)
			}
		} else {
			probs.add(p.ContainerfilePath, 0, "", "%v", err)
		}
		return false
	}
	p.Containerfile = f
	p.lineDeps = scanLineDeps(p.ContainerfilePath, data, probs)
	return true
}

func (t *Tree) rel(path string) string {
	r, err := filepath.Rel(t.Root, path)
	if err != nil {
		return path
	}
	return r
}

func exists(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() || err == nil && fi.Mode()&fs.ModeSymlink != 0
}

// markBroken remembers the targets of a package that failed to load, so
// that references to them are not reported a second time as missing.
func (t *Tree) markBroken(p *Package) {
	t.broken[p.ID()] = true
	if b, err := os.ReadFile(filepath.Join(p.Dir, tomlName)); err == nil {
		if d, _, err := decodeTOML(b); err == nil {
			for _, s := range d.raw.Package.Subpackages {
				t.broken[p.Stage+"-"+s] = true
			}
		}
	}
}
