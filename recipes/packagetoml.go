package recipes

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/stevedore-build/stevedore/oci"
)

var hashRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// readTOML decodes and checks package.toml's fields; sources are expanded
// later, once versions are resolved.
func (t *Tree) readTOML(p *Package, probs *problemList) bool {
	file := p.TOMLPath
	data, err := os.ReadFile(filepath.Join(p.Dir, tomlName))
	if err != nil {
		probs.add(file, 0, "", "read: %v", err)
		return false
	}
	d, line, err := decodeTOML(data)
	if err != nil {
		probs.add(file, line, "", "TOML syntax: %v", err)
		return false
	}
	p.keyLine = d.line
	for _, k := range d.undecoded {
		t.Warnings = append(t.Warnings, Problem{File: file, Line: d.line(k), Field: k, Msg: "unknown key, ignored"})
	}
	rp := d.raw.Package
	ok := true
	bad := func(key, format string, a ...any) {
		probs.add(file, d.line(key), key, format, a...)
		ok = false
	}
	switch {
	case !d.defined("package"):
		bad("package", "missing [package] table")
	case rp.Name == "":
		bad("package.name", "missing (required; must equal the directory name %q)", p.Name)
	case rp.Name != p.Name:
		bad("package.name", "%q does not match the directory name %q: rename one of them", rp.Name, p.Name)
	}
	if rp.Version != "" && rp.VersionFrom != "" {
		bad("package.version_from", "set together with version: keep one")
	}
	if rp.VersionFrom != "" && strings.Count(rp.VersionFrom, "-") != 1 {
		bad("package.version_from", "%q: StageX's generator (src/targets.py) splits version_from at every \"-\" into exactly <stage> and <name> and fails otherwise; name a target whose name has no \"-\"", rp.VersionFrom)
	}
	p.Version, p.VersionFrom, p.tomlVersion = rp.Version, rp.VersionFrom, rp.Version
	p.Description, p.License, p.Website = rp.Description, rp.License, rp.Website
	p.Platforms = rp.Platforms
	for i, pl := range rp.Platforms {
		if _, err := oci.ParsePlatform(pl); err != nil {
			bad("package.platforms", "entry %d %q is not os/arch[/variant]", i+1, pl)
		}
	}
	seen := map[string]bool{}
	for _, s := range rp.Subpackages {
		switch {
		case !nameRE.MatchString(s):
			bad("package.subpackages", "%q is not a valid package name", s)
		case seen[s]:
			bad("package.subpackages", "%q listed twice", s)
		}
		seen[s] = true
	}
	p.Subpackages = rp.Subpackages
	if !t.readSources(p, d, probs) {
		ok = false
	}
	return ok
}

// readSources checks each [sources.<key>] section; expansion happens in
// expandSources.
func (t *Tree) readSources(p *Package, d *decodedTOML, probs *problemList) bool {
	keys := make([]string, 0, len(d.raw.Sources))
	for k := range d.raw.Sources {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ok := true
	for _, k := range keys {
		rs := d.raw.Sources[k]
		prefix := "sources." + k
		bad := func(field, format string, a ...any) {
			probs.add(p.TOMLPath, d.line(prefix+"."+field), prefix+"."+field, format, a...)
			ok = false
		}
		switch {
		case rs.Hash == "":
			bad("hash", "missing (required: the SHA-256 of the file, 64 lowercase hex digits)")
		case !hashRE.MatchString(rs.Hash):
			bad("hash", "%q is not a SHA-256 (64 lowercase hex digits)", rs.Hash)
		}
		if len(rs.Mirrors) == 0 {
			bad("mirrors", "missing (required: a list of URL templates)")
		}
		for _, m := range rs.Mirrors {
			if err := checkTemplate(m, true); err != nil {
				bad("mirrors", "%v", err)
			}
		}
		if err := checkTemplate(rs.File, false); err != nil {
			bad("file", "%v", err)
		}
		p.Sources = append(p.Sources, Source{
			Key: k, Hash: rs.Hash, Version: rs.Version, OwnVersion: rs.Version != "",
			Format: rs.Format, GitSHA: rs.GitSHA,
			FileTemplate: rs.File, MirrorTemplates: rs.Mirrors,
		})
	}
	// Keys equal but for case would pass the same <KEY>_* build arguments,
	// and docker build would keep the last in package.toml's order.
	args := map[string]string{}
	for _, s := range p.Sources {
		key := strings.ToUpper(s.Key)
		for _, a := range []struct {
			suffix string
			set    bool
		}{{"_VERSION", s.OwnVersion}, {"_GIT_SHA", s.GitSHA != ""}} {
			if !a.set {
				continue
			}
			if prev, dup := args[key+a.suffix]; dup {
				probs.add(p.TOMLPath, d.line("sources."+s.Key), "sources."+s.Key, "passes the build argument %s%s, as sources.%s does: rename one of them", key, a.suffix, prev)
				ok = false
				continue
			}
			args[key+a.suffix] = s.Key
		}
	}
	return ok
}
