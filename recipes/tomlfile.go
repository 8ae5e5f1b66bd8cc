package recipes

import (
	"bytes"
	"errors"
	"strings"

	"github.com/BurntSushi/toml"
)

// rawFile is package.toml as written.
type rawFile struct {
	Package rawPackage           `toml:"package"`
	Sources map[string]rawSource `toml:"sources"`
}

type rawPackage struct {
	Name        string   `toml:"name"`
	Version     string   `toml:"version"`
	VersionFrom string   `toml:"version_from"`
	Description string   `toml:"description"`
	License     string   `toml:"license"`
	Website     string   `toml:"website"`
	Platforms   []string `toml:"platforms"`
	Subpackages []string `toml:"subpackages"`
}

type rawSource struct {
	Hash    string   `toml:"hash"`
	Mirrors []string `toml:"mirrors"`
	Version string   `toml:"version"`
	File    string   `toml:"file"`
	Format  string   `toml:"format"`
	GitSHA  string   `toml:"git_sha"`
}

// decodedTOML is a parsed package.toml with what validation needs to point
// at lines.
type decodedTOML struct {
	raw       rawFile
	defined   func(key ...string) bool
	lines     map[string]int // "sources.zlib.hash" -> line of that key
	undecoded []string       // keys present in the file that stevedore does not know
}

// decodeTOML parses data. A syntax or type error is returned with its line.
func decodeTOML(data []byte) (*decodedTOML, int, error) {
	var raw rawFile
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&raw)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, pe.Position.Line, errors.New(pe.Message)
		}
		return nil, 0, err
	}
	d := &decodedTOML{raw: raw, defined: md.IsDefined, lines: keyLines(data)}
	for _, k := range md.Undecoded() {
		d.undecoded = append(d.undecoded, k.String())
	}
	return d, 0, nil
}

// line returns the line of a dotted key, falling back to its table header.
func (d *decodedTOML) line(key string) int {
	for k := key; k != ""; {
		if l, ok := d.lines[k]; ok {
			return l
		}
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

// keyLines maps every table header and key of a (valid) TOML document to
// its line. It understands the subset package.toml files use: [a.b] and
// [a."b c"] headers, bare and quoted keys, dotted keys.
func keyLines(data []byte) map[string]int {
	out := map[string]int{}
	table := ""
	depth := 0 // open brackets of a multi-line array value
	n := 0
	for line := range strings.Lines(string(data)) {
		n++
		line = strings.TrimSpace(line)
		if depth > 0 {
			depth += strings.Count(line, "[") - strings.Count(line, "]")
			continue
		}
		switch {
		case line == "" || line[0] == '#':
		case strings.HasPrefix(line, "[["):
			table = normalizeKey(strings.Trim(line, "[] "))
			out[table] = n
		case line[0] == '[':
			end := strings.IndexByte(line, ']')
			if end < 0 {
				continue
			}
			table = normalizeKey(line[1:end])
			if _, ok := out[table]; !ok {
				out[table] = n
			}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			key := normalizeKey(k)
			if table != "" {
				key = table + "." + key
			}
			out[key] = n
			v = strings.TrimSpace(v)
			if strings.HasPrefix(v, "[") {
				depth = strings.Count(v, "[") - strings.Count(v, "]")
			}
		}
	}
	return out
}

// normalizeKey turns `a . "b c" ` into `a.b c`.
func normalizeKey(k string) string {
	parts := strings.Split(k, ".")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		p = strings.Trim(p, `"'`)
		parts[i] = p
	}
	return strings.Join(parts, ".")
}
