package recipes

import (
	"strings"
)

// lineDep is a dependency as StageX's generator reads it from one line of
// a Containerfile.
type lineDep struct {
	Name string // the target name, as written after stagex/
	Line int
	How  string // "FROM" or "COPY --from"
}

// scanLineDeps reads a Containerfile's dependencies the way StageX's
// generator (src/targets.py) does, line by line and without parsing:
//
//   - a line starting with "COPY" whose second space-separated word starts
//     with "--from" and names stagex/<dep> after its "=";
//   - a line starting with "FROM stagex/<dep>";
//   - a line starting with "FROM --platform=linux/386 stagex/<dep>".
//
// These are every target of the file's dependencies, whichever stage uses
// them, and the build contexts docker build gets. A stagex/ reference
// written otherwise (FROM ${BASE}, another --platform, --from after another
// flag, a continued line) is not one; resolveDeps reports such references
// when a build uses them. Lines the generator fails on are returned as
// problems.
func scanLineDeps(path string, data []byte, probs *problemList) []lineDep {
	var deps []lineDep
	// Python reads the file in text mode: \r\n and \r end lines too.
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	for i, line := range strings.SplitAfter(text, "\n") {
		n := i + 1
		if strings.HasPrefix(line, "COPY") {
			words := strings.Split(line, " ")
			if len(words) < 2 {
				probs.add(path, n, "", "StageX's generator (src/targets.py) reads the second space-separated word of every line that starts with \"COPY\" and fails on this one, which has none; start the line otherwise")
				continue
			}
			if first := words[1]; strings.HasPrefix(first, "--from") {
				parts := strings.Split(first, "=")
				if len(parts) != 2 {
					probs.add(path, n, "", "StageX's generator (src/targets.py) splits %q at \"=\" into exactly two parts and fails on this line; write --from=<stage or image>", first)
					continue
				}
				if dep, ok := strings.CutPrefix(parts[1], stagexPrefix); ok {
					deps = append(deps, lineDep{Name: strings.Split(dep, "/")[0], Line: n, How: "COPY --from"})
				}
			}
		}
		if rest, ok := strings.CutPrefix(line, "FROM stagex/"); ok {
			deps = append(deps, lineDep{Name: strings.TrimSpace(strings.Split(strings.Split(rest, " ")[0], "/")[0]), Line: n, How: "FROM"})
		}
		if rest, ok := strings.CutPrefix(line, "FROM --platform=linux/386 stagex/"); ok {
			deps = append(deps, lineDep{Name: strings.TrimSpace(strings.Split(strings.Split(rest, " ")[0], "/")[0]), Line: n, How: "FROM"})
		}
	}
	return deps
}
