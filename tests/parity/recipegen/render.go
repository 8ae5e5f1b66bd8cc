package recipegen

import (
	"bytes"
	"encoding/json"
	"fmt"

	"strings"
)

// Containerfile renders p's recipe.
func (p *Package) Containerfile() string {
	var b strings.Builder
	for _, a := range p.GlobalArgs {
		b.WriteString(a + "\n")
	}
	for i, s := range p.Stages {
		if i > 0 || len(p.GlobalArgs) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("FROM " + s.From)
		if s.Alias != "" {
			b.WriteString(" AS " + s.Alias)
		}
		b.WriteString("\n")
		for _, in := range s.Instrs {
			b.WriteString(in.String() + "\n")
		}
	}
	return b.String()
}

// String renders the instruction as Containerfile text.
func (in *Instr) String() string {
	if in.Run == nil {
		return in.Text
	}
	r := in.Run
	prefix := "RUN "
	if r.Flags != "" {
		prefix += r.Flags + " "
	}
	guarded := make([]string, len(r.Ops))
	for i, op := range r.Ops {
		guarded[i] = op + " || true"
	}
	switch r.Form {
	case "exec":
		return prefix + jsonArray("/bin/sh", "-c", strings.Join(guarded, "; "))
	case "heredoc":
		return prefix + "<<EOF\n" + strings.Join(guarded, "\n") + "\nEOF"
	}
	if len(guarded) == 0 {
		return prefix + "true"
	}
	return prefix + strings.Join(guarded, "; ")
}

// jsonArray is the exec form of args, without HTML escaping.
func jsonArray(args ...string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(args); err != nil {
		panic(err)
	}
	return strings.ReplaceAll(strings.TrimSpace(b.String()), `","`, `", "`)
}

// PackageTOML renders p's package.toml; hashes are @SHA256:<file>@
// placeholders that Write substitutes.
func (p *Package) PackageTOML() string {
	var b strings.Builder
	fmt.Fprintf(&b, "[package]\nname = %q\n", p.Name)
	if p.Version != "" {
		fmt.Fprintf(&b, "version = %q\n", p.Version)
	}
	if p.VersionFrom != "" {
		fmt.Fprintf(&b, "version_from = %q\n", p.VersionFrom)
	}
	if len(p.Subpackages) > 0 {
		quoted := make([]string, len(p.Subpackages))
		for i, s := range p.Subpackages {
			quoted[i] = fmt.Sprintf("%q", s)
		}
		fmt.Fprintf(&b, "subpackages = [%s]\n", strings.Join(quoted, ", "))
	}
	for _, s := range p.Sources {
		fmt.Fprintf(&b, "\n[sources.%s]\nhash = \"@SHA256:%s@\"\nmirrors = [\"https://example.invalid/%s\"]\n", s.Key, s.File, s.File)
	}
	return b.String()
}

// Dir is the package's directory relative to the tree root.
func (p *Package) Dir() string { return "packages/" + p.Stage + "/" + p.Name }

// Dump renders the whole tree as text: every file of the packages and a
// description of every mirror file. It is what the goldens pin and what a
// failure report shows.
func (t *Tree) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# seed %d\n", t.Seed)
	for _, p := range t.Packages {
		b.WriteString("\n")
		p.dump(&b)
	}
	return b.String()
}

// Recipe is Dump without the seed line and the busybox base: the few
// lines a minimized failure shows.
func (t *Tree) Recipe() string {
	var b strings.Builder
	for _, p := range t.Packages {
		if !p.Busybox {
			p.dump(&b)
		}
	}
	return b.String()
}

func (p *Package) dump(b *strings.Builder) {
	fmt.Fprintf(b, "=== %s/package.toml\n%s", p.Dir(), p.PackageTOML())
	fmt.Fprintf(b, "=== %s/Containerfile\n%s", p.Dir(), p.Containerfile())
	for _, f := range p.Context {
		fmt.Fprintf(b, "=== %s/%s (mode %04o, mtime %d)\n%s", p.Dir(), f.Path, f.Mode, f.Mtime, f.Body)
	}
	for _, s := range p.Sources {
		fmt.Fprintf(b, "=== mirror/%s (%s)\n", s.File, s.Kind)
		switch {
		case s.Kind == "plain":
			b.WriteString(s.Text)
		case len(s.Entries) > 0:
			for _, e := range s.Entries {
				fmt.Fprintf(b, "%c %04o %d:%d @%d %s", e.Type, e.Mode, e.UID, e.GID, e.Mtime, e.Name)
				if e.Body != "" {
					fmt.Fprintf(b, " %q", e.Body)
				}
				b.WriteString("\n")
			}
		}
	}
}
