package recipes

import (
	"fmt"
	"regexp"
	"strings"
)

// Placeholders are the names a source's file and mirror templates may use.
// {file} is only valid in mirrors.
var placeholderNames = []string{
	"version", "version_under", "version_dash", "version_major",
	"version_major_minor", "version_strip_suffix", "format", "file",
}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

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
func unknownPlaceholders(tmpl string, allowed func(string) bool) []string {
	var bad []string
	for _, m := range placeholderRE.FindAllStringSubmatch(tmpl, -1) {
		if !allowed(m[1]) {
			bad = append(bad, "{"+m[1]+"}")
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

// expand replaces every {name} in tmpl whose value is in vars and leaves
// any other braces untouched.
func expand(tmpl string, vars map[string]string) string {
	return placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
		if v, ok := vars[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

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
// {version_under} from the package, and no other placeholder is known.
func sourceArgVars(sourceVersion, packageVersion, format string) map[string]string {
	pf := Forms(packageVersion)
	return map[string]string{
		"version":       sourceVersion,
		"format":        format,
		"version_dash":  pf.Dash,
		"version_under": pf.Under,
	}
}

// checkTemplate reports unknown placeholders of a template.
func checkTemplate(tmpl string, allowFile bool) error {
	bad := unknownPlaceholders(tmpl, func(n string) bool {
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
