package recipes

import (
	"fmt"
	"strings"
)

// Placeholders are the names a source's file and mirror templates may use.
// {file} is only valid in mirrors.
var placeholderNames = []string{
	"version", "version_under", "version_dash", "version_major",
	"version_major_minor", "version_strip_suffix", "format", "file",
}

// VersionForms holds the derived spellings of a version that StageX exposes
// as placeholders and build arguments.
type VersionForms struct {
	Version     string // 1.2.3-rc1
	Under       string // 1_2_3-rc1
	Dash        string // 1-2-3-rc1
	Major       string // 1
	MajorMinor  string // 1.2; "None" when the version has no "." (see Forms)
	StripSuffix string // 1.2.3
}

// Forms derives every spelling of version exactly as StageX's src/common.py
// does: Major is the part before the first ".", StripSuffix the part before
// the first "-", and MajorMinor the first two "."-separated parts, or the
// string "None" when there are fewer than two (common.py's
// version_to_major_minor returns Python's None, which the generator's
// f-string prints as "None": VERSION_MAJOR_MINOR=None for a version such as
// "20250807" or a git hash). An empty version has only empty forms.
func Forms(version string) VersionForms {
	if version == "" {
		return VersionForms{}
	}
	parts := strings.Split(version, ".")
	mm := "None"
	if len(parts) > 1 {
		mm = parts[0] + "." + parts[1]
	}
	strip, _, _ := strings.Cut(version, "-")
	return VersionForms{
		Version:     version,
		Under:       strings.ReplaceAll(version, ".", "_"),
		Dash:        strings.ReplaceAll(version, ".", "-"),
		Major:       parts[0],
		MajorMinor:  mm,
		StripSuffix: strip,
	}
}

// unknownPlaceholders returns the placeholder names in tmpl that are not in
// allowed, in order of appearance.
func unknownPlaceholders(fields []string, allowed func(string) bool) []string {
	var bad []string
	for _, f := range fields {
		if !allowed(f) {
			bad = append(bad, "{"+f+"}")
		}
	}
	return bad
}

func isPlaceholder(name string) bool {
	for _, n := range placeholderNames {
		if n == name {
			return true
		}
	}
	return false
}

// pyFields parses tmpl as Python's str.format does, which StageX's
// scripts apply to every template: "{{" and "}}" are literal braces and
// "{name}" a placeholder. It returns the placeholder names in order. What
// str.format would fail on (a single brace) and what stevedore does not
// implement (positional fields, attributes, indexes, conversions, format
// specs) is an error.
func pyFields(tmpl string) ([]string, error) {
	_, fields, err := pyFormat(tmpl, nil)
	return fields, err
}

// pyFormat is Python's tmpl.format(**vars) for the templates of
// package.toml: it also returns the placeholder names. With vars nil it
// only parses; otherwise a name missing from vars is an
// unknownPlaceholderError (Python's KeyError).
func pyFormat(tmpl string, vars map[string]string) (string, []string, error) {
	var b strings.Builder
	var fields []string
	for i := 0; i < len(tmpl); i++ {
		switch c := tmpl[i]; c {
		case '{':
			if strings.HasPrefix(tmpl[i:], "{{") {
				b.WriteByte('{')
				i++
				continue
			}
			end := strings.IndexByte(tmpl[i+1:], '}')
			if end < 0 {
				return "", nil, fmt.Errorf("single '{' in %q: write {{ for a literal brace (Python's str.format fails on it)", tmpl)
			}
			name := tmpl[i+1 : i+1+end]
			if name == "" || strings.Trim(name, "0123456789") == "" {
				return "", nil, fmt.Errorf("positional placeholder {%s} in %q: name one of {%s}", name, tmpl, strings.Join(placeholderNames, "}, {"))
			}
			if strings.ContainsAny(name, "{!:.[") {
				return "", nil, fmt.Errorf("placeholder {%s} in %q: stevedore supports only plain {name} placeholders", name, tmpl)
			}
			fields = append(fields, name)
			if vars != nil {
				v, ok := vars[name]
				if !ok {
					return "", nil, unknownPlaceholderError{Name: name, Template: tmpl}
				}
				b.WriteString(v)
			}
			i += end + 1
		case '}':
			if !strings.HasPrefix(tmpl[i:], "}}") {
				return "", nil, fmt.Errorf("single '}' in %q: write }} for a literal brace (Python's str.format fails on it)", tmpl)
			}
			b.WriteByte('}')
			i++
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), fields, nil
}

// unknownPlaceholderError is a placeholder without a value.
type unknownPlaceholderError struct{ Name, Template string }

func (e unknownPlaceholderError) Error() string {
	return fmt.Sprintf("no value for {%s} in %q", e.Name, e.Template)
}

// usesVersion reports whether a template has a version placeholder.
func usesVersion(tmpl string) bool {
	fields, _ := pyFields(tmpl)
	for _, f := range fields {
		if f == "version" || strings.HasPrefix(f, "version_") {
			return true
		}
	}
	return false
}

// urlWhitespace removes what the URL parser strips anywhere in a URL.
var urlWhitespace = strings.NewReplacer("\t", "", "\r", "", "\n", "")

// urlFileName is the default file name of a source: the last "/"-separated
// part of the path of a mirror URL (template), as StageX's scripts take it
// with Python's urlsplit(url).path.split("/")[-1]: the scheme, the
// authority, the query and the fragment are not part of the path, and
// nothing is unescaped. A path ending in "/" has the empty name.
func urlFileName(u string) string {
	u = strings.TrimLeft(u, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
	u = urlWhitespace.Replace(u)
	if i := strings.IndexByte(u, ':'); i > 0 && isSchemeStart(u[0]) && strings.Trim(u[:i], schemeChars) == "" {
		u = u[i+1:]
	}
	if rest, ok := strings.CutPrefix(u, "//"); ok {
		u = ""
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			u = rest[j:]
		}
	}
	if i := strings.IndexByte(u, '#'); i >= 0 {
		u = u[:i]
	}
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	return u[strings.LastIndexByte(u, '/')+1:]
}

const schemeChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-."

func isSchemeStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// sourceVars are the placeholder values of a source, all from the source's
// own version (which defaults to the package version).
func sourceVars(version, format string) map[string]string {
	f := Forms(version)
	return map[string]string{
		"version":              f.Version,
		"version_under":        f.Under,
		"version_dash":         f.Dash,
		"version_major":        f.Major,
		"version_major_minor":  f.MajorMinor,
		"version_strip_suffix": f.StripSuffix,
		"format":               format,
	}
}

// sourceArgVars reproduces StageX's quirk for the <KEY>_SOURCE build
// argument: {version} and {format} come from the source, {version_dash} and
// {version_under} from the package, and no other placeholder is known
// (src/targets.py fails on any other).
func sourceArgVars(sourceVersion, packageVersion, format string) map[string]string {
	pf := Forms(packageVersion)
	return map[string]string{
		"version":       sourceVersion,
		"format":        format,
		"version_dash":  pf.Dash,
		"version_under": pf.Under,
	}
}

// checkTemplate reports unknown placeholders of a template and templates
// Python's str.format cannot read.
func checkTemplate(tmpl string, allowFile bool) error {
	fields, err := pyFields(tmpl)
	if err != nil {
		return err
	}
	bad := unknownPlaceholders(fields, func(n string) bool {
		return isPlaceholder(n) && (allowFile || n != "file")
	})
	if len(bad) == 0 {
		return nil
	}
	return fmt.Errorf("unknown placeholder %s in %q (known: {%s})",
		strings.Join(bad, ", "), tmpl, strings.Join(knownList(allowFile), "}, {"))
}

func knownList(allowFile bool) []string {
	var out []string
	for _, n := range placeholderNames {
		if n != "file" || allowFile {
			out = append(out, n)
		}
	}
	return out
}
