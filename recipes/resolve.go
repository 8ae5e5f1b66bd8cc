package recipes

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// targetNames are the names (without the stage) of the package's targets:
// exactly its subpackages when it lists any, as in StageX's generator
// (src/targets.py), else its own name.
func (p *Package) targetNames() []string {
	if len(p.Subpackages) > 0 {
		return p.Subpackages
	}
	return []string{p.Name}
}

// targetOrigins maps every target name <stage>-<name> to the package that
// builds it; the first package wins a duplicate (makeTargets reports it).
func targetOrigins(pkgs []*Package) map[string]*Package {
	m := map[string]*Package{}
	for _, p := range pkgs {
		for _, n := range p.targetNames() {
			if _, dup := m[p.Stage+"-"+n]; !dup {
				m[p.Stage+"-"+n] = p
			}
		}
	}
	return m
}

// resolveVersions applies version_from, which names a target (a subpackage
// too: its version is its package's), following chains and reporting
// dangling references and cycles.
func resolveVersions(pkgs []*Package, broken map[string]bool, probs *problemList) {
	byTarget := targetOrigins(pkgs)
	byID := map[string]*Package{}
	for _, p := range pkgs {
		byID[p.ID()] = p
	}
	var resolve func(p *Package, chain []string, seen map[*Package]bool) (string, bool)
	resolve = func(p *Package, chain []string, seen map[*Package]bool) (string, bool) {
		if p.VersionFrom == "" {
			return p.Version, true
		}
		chain = append(chain, p.VersionFrom)
		src, ok := byTarget[p.VersionFrom]
		if !ok {
			if broken[p.VersionFrom] {
				return "", false
			}
			line := p.keyLine("package.version_from")
			if o := byID[p.VersionFrom]; o != nil {
				probs.add(p.TOMLPath, line, "package.version_from", "%q is not a target: %s lists subpackages (%s) and not its own name %q, and StageX builds only those; name one of them, e.g. %s-%s",
					p.VersionFrom, o.TOMLPath, strings.Join(o.Subpackages, ", "), o.Name, o.Stage, o.Subpackages[0])
			} else {
				probs.add(p.TOMLPath, line, "package.version_from", "%q names no target of the tree (want <stage>-<name>, e.g. core-%s)", p.VersionFrom, p.Name)
			}
			return "", false
		}
		if seen[src] {
			probs.add(src.TOMLPath, src.keyLine("package.version_from"), "package.version_from", "cycle: %s", strings.Join(chain, " -> "))
			return "", false
		}
		seen[src] = true
		return resolve(src, chain, seen)
	}
	for _, p := range pkgs {
		v, ok := resolve(p, []string{p.ID()}, map[*Package]bool{p: true})
		if !ok {
			continue
		}
		// StageX's generator applies version_from in two passes over the
		// targets in directory order: a chain of more steps may end unset.
		chain := []string{p.ID()}
		for q := p; q.VersionFrom != ""; q = byTarget[q.VersionFrom] {
			chain = append(chain, q.VersionFrom)
		}
		if len(chain) > 3 {
			probs.add(p.TOMLPath, p.keyLine("package.version_from"), "package.version_from", "chain %s: StageX's generator applies version_from in two passes, in directory order, so a chain of more than two steps may leave the version unset; name %s directly",
				strings.Join(chain, " -> "), chain[len(chain)-1])
			continue
		}
		p.Version = v
	}
}

// expandSources fills in each source's version, file and mirror URLs as
// StageX's fetch.py does, and the file name of its <KEY>_SOURCE build
// argument as src/targets.py does.
func expandSources(p *Package, probs *problemList) {
	for i := range p.Sources {
		s := &p.Sources[i]
		prefix := "sources." + s.Key
		if !s.OwnVersion {
			s.Version = p.tomlVersion
		}
		if s.FileTemplate == "" && len(s.MirrorTemplates) > 0 {
			s.FileTemplate = urlFileName(s.MirrorTemplates[0])
			if strings.Contains(s.FileTemplate, "{file}") || s.FileTemplate == "" {
				probs.add(p.TOMLPath, p.keyLine(prefix), prefix+".file", "missing, and the first mirror does not end in a file name to default to: set file")
				continue
			}
		}
		if s.Version == "" && (usesVersion(s.FileTemplate) || slices.ContainsFunc(s.MirrorTemplates, usesVersion)) {
			why := "the package has no version"
			if p.VersionFrom != "" {
				why = "the package's version comes from version_from, which StageX's fetch.py does not apply to sources"
			}
			probs.add(p.TOMLPath, p.keyLine(prefix), prefix+".version", "the file or a mirror uses a {version...} placeholder, but the source has no version and %s (fetch.py would expand {version} to None): set %s.version", why, prefix)
			continue
		}
		vars := sourceVars(s.Version, s.Format)
		file, _, err := pyFormat(s.FileTemplate, vars)
		if err != nil {
			probs.add(p.TOMLPath, p.keyLine(prefix+".file"), prefix+".file", "%v", err)
			continue
		}
		s.File = file
		if s.File == "" || strings.ContainsAny(s.File, "/\\") || s.File == "." || s.File == ".." {
			probs.add(p.TOMLPath, p.keyLine(prefix+".file"), prefix+".file", "expands to %q, which is not a plain file name", s.File)
			continue
		}
		vars["file"] = s.File
		s.Mirrors = nil
		for _, m := range s.MirrorTemplates {
			u, _, err := pyFormat(m, vars)
			if err != nil {
				probs.add(p.TOMLPath, p.keyLine(prefix+".mirrors"), prefix+".mirrors", "%v", err)
				continue
			}
			s.Mirrors = append(s.Mirrors, u)
		}
		if s.OwnVersion {
			s.argFile, _, err = pyFormat(s.FileTemplate, sourceArgVars(s.Version, p.Version, s.Format))
			var unknown unknownPlaceholderError
			if errors.As(err, &unknown) {
				probs.add(p.TOMLPath, p.keyLine(prefix+".file"), prefix+".file", "{%s} cannot be used in the file name of a source with its own version: StageX's generator (src/targets.py) formats it for the %s_SOURCE build argument with only {version}, {version_dash}, {version_under} and {format} and fails on any other placeholder; spell that part out",
					unknown.Name, strings.ToUpper(s.Key))
			} else if err != nil {
				probs.add(p.TOMLPath, p.keyLine(prefix+".file"), prefix+".file", "%v", err)
			}
		}
	}
}

// makeTargets creates a target for every package and subpackage and
// reports duplicates.
func (t *Tree) makeTargets(opts Options, probs *problemList) {
	seen := map[string]*Target{}
	add := func(tg *Target, file string, line int) {
		if prev, dup := seen[tg.Name]; dup {
			probs.add(file, line, "", "target %s is defined twice: by %s and by %s", tg.Name, describe(prev), describe(tg))
			return
		}
		seen[tg.Name] = tg
		t.Targets = append(t.Targets, tg)
	}
	for _, p := range t.Packages {
		args := buildArgs(p, opts.SourceDateEpoch)
		fetchDir := path.Join("fetch", p.Stage, p.Name)
		if len(p.Subpackages) == 0 {
			add(&Target{Name: p.ID(), Stage: p.Stage, Package: p.Name, Origin: p, Version: p.Version,
				Platforms: p.Platforms, BuildArgs: args, FetchDir: fetchDir}, p.TOMLPath, p.keyLine("package"))
			continue
		}
		// As StageX's generator: the listed names are the targets, each
		// built with --target package-<sub>; the package's own name is a
		// target only when listed.
		for _, sub := range p.Subpackages {
			add(&Target{Name: p.Stage + "-" + sub, Stage: p.Stage, Package: sub, Origin: p,
				StageTarget: "package-" + sub, Version: p.Version, Platforms: p.Platforms,
				BuildArgs: args, FetchDir: fetchDir}, p.TOMLPath, p.keyLine("package.subpackages"))
		}
	}
	sort.Slice(t.Targets, func(i, j int) bool { return t.Targets[i].Name < t.Targets[j].Name })
}

func describe(tg *Target) string {
	if tg.IsSubpackage() {
		return fmt.Sprintf("subpackage %q of %s", tg.Package, tg.Origin.TOMLPath)
	}
	return tg.Origin.TOMLPath
}

// stagexPrefix marks named contexts that are other targets' images.
const stagexPrefix = "stagex/"

// isContext reports the named build contexts StageX defines for a build.
// As in BuildKit, only the exact context name matches: stagex/x:1.0 or
// stagex/x@sha256:... name images (from a registry or image source), not
// the stagex/x context.
func isContext(name string) bool {
	return name == "fetch" || strings.HasPrefix(name, stagexPrefix) && !strings.ContainsAny(name, ":@")
}

// resolveDeps sets each target's dependencies as StageX's generator reads
// them (see scanLineDeps) and checks them: each must be a target of the
// tree other than the target itself, and every stagex/<target> the build
// of the target's stage uses (FROM and COPY --from, after ARG expansion)
// must be one of them, for docker build gets no other stagex/ context.
func (t *Tree) resolveDeps(opts Options, probs *problemList) {
	origins := targetOrigins(t.Packages)
	byID := map[string]*Package{}
	for _, p := range t.Packages {
		byID[p.ID()] = p
	}
	// missing explains a stagex/<dep> reference to no target.
	missing := func(how, ref, dep string) string {
		if p := byID[dep]; p != nil && len(p.Subpackages) > 0 {
			return fmt.Sprintf("%s %s: no target %s in this tree: %s lists subpackages (%s) and not its own name %q, and only those are targets",
				how, ref, dep, p.TOMLPath, strings.Join(p.Subpackages, ", "), p.Name)
		}
		return fmt.Sprintf("%s %s: no target %s in this tree (expected packages/%s/)", how, ref, dep, strings.Replace(dep, "-", "/", 1))
	}
	// The generator's dependencies, per package: checked once.
	lineDeps := map[*Package]map[string]containerfile.Pos{}
	for _, p := range t.Packages {
		deps := map[string]containerfile.Pos{}
		for _, d := range p.lineDeps {
			// stagex/<target>:<tag> and @<digest> name images, not this
			// tree's targets (isContext); StageX's make has no rule for them.
			if strings.ContainsAny(d.Name, ":@") {
				continue
			}
			if origins[d.Name] == nil {
				if !t.broken[d.Name] {
					probs.add(p.ContainerfilePath, d.Line, "", "%s", missing(d.How, stagexPrefix+d.Name, d.Name))
				}
				continue
			}
			if _, ok := deps[d.Name]; !ok {
				deps[d.Name] = containerfile.Pos{File: p.ContainerfilePath, Line: d.Line}
			}
		}
		lineDeps[p] = deps
	}
	for _, tg := range t.Targets {
		f := tg.Origin.Containerfile
		plat := opts.Platform
		if len(tg.Platforms) > 0 {
			plat = tg.Platforms[0]
		}
		build := oci.BuildPlatform
		target, _ := oci.ParsePlatform(plat)
		globals, err := f.GlobalArgs(tg.BuildArgs, build, target, tg.StageTarget)
		if err != nil {
			probs.add(f.Path, 0, "", "%v", err)
			continue
		}
		graph, err := f.Graph(tg.StageTarget, globals, isContext)
		if err != nil {
			if e, ok := err.(containerfile.Error); ok {
				probs.add(e.Pos.File, e.Pos.Line, "", "%s", e.Msg)
			} else if tg.IsSubpackage() {
				probs.add(tg.Origin.TOMLPath, tg.Origin.keyLine("package.subpackages"), "package.subpackages", "subpackage %s: %v", tg.Package, err)
			} else {
				probs.add(tg.Origin.TOMLPath, 0, "", "target %s: %v", tg.Name, err)
			}
			continue
		}
		deps := map[string]containerfile.Pos{}
		for dep, pos := range lineDeps[tg.Origin] {
			// A Containerfile naming one of its own targets (a subpackage
			// using a sibling): make drops that circular prerequisite of the
			// target itself, and so does stevedore, unless the build uses it.
			if dep != tg.Name {
				deps[dep] = pos
			}
		}
		for _, r := range graph.Contexts {
			dep, ok := strings.CutPrefix(r.Name, stagexPrefix)
			if !ok {
				continue
			}
			if dep == tg.Name {
				probs.add(r.Pos.File, r.Pos.Line, "", "%s %s: the build of target %s cannot use its own image", r.How, r.Name, dep)
				continue
			}
			if _, ok := lineDeps[tg.Origin][dep]; ok {
				continue
			}
			switch {
			case origins[dep] == nil && t.broken[dep]:
			case origins[dep] == nil:
				probs.add(r.Pos.File, r.Pos.Line, "", "%s", missing(r.How, r.Name, dep))
			default:
				probs.add(r.Pos.File, r.Pos.Line, "", "%s %s: StageX's generator does not see this use of target %s, so docker build would get no %s context and pull that image from a registry instead; the generator reads dependencies only from lines that start with \"FROM stagex/\", \"FROM --platform=linux/386 stagex/\" or \"COPY --from=stagex/\": write the reference on such a line",
					r.How, r.Name, dep, r.Name)
			}
		}
		tg.ImageRefs = imageRefs(graph.Images, probs)
		tg.DepPos = deps
		tg.Deps = nil
		for d := range deps {
			tg.Deps = append(tg.Deps, d)
		}
		sort.Strings(tg.Deps)
	}
}
