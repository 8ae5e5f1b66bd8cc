package recipes

import (
	"fmt"
	"sort"
	"strings"
)

// Problem is one thing wrong with the tree, located as precisely as possible.
type Problem struct {
	File  string // path of the file, relative to the tree root when possible
	Line  int    // 1-based line, 0 when unknown
	Field string // TOML key path ("sources.zlib.hash") or instruction, may be empty
	Msg   string // what is wrong and, where it helps, what to do
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Line)
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Problems is the error returned when a tree does not validate. It lists
// every problem found, sorted by file and line.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, 0, len(ps)+1)
	noun := "problems"
	if len(ps) == 1 {
		noun = "problem"
	}
	lines = append(lines, fmt.Sprintf("package tree has %d %s:", len(ps), noun))
	for _, p := range ps {
		lines = append(lines, "  "+p.String())
	}
	return strings.Join(lines, "\n")
}

func (ps Problems) sorted() Problems {
	out := append(Problems(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].File != out[j].File {
			return out[i].File < out[j].File
		}
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Field < out[j].Field
	})
	return out
}

// problemList collects problems while loading. A problem found again
// (e.g. in a stage that several subpackages of one Containerfile build) is
// kept once.
type problemList struct {
	ps   Problems
	seen map[Problem]bool
}

func (l *problemList) add(file string, line int, field, format string, a ...any) {
	l.addProblem(Problem{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)})
}

func (l *problemList) addProblem(p Problem) {
	if l.seen[p] {
		return
	}
	if l.seen == nil {
		l.seen = map[Problem]bool{}
	}
	l.seen[p] = true
	l.ps = append(l.ps, p)
}

// merge adds m's problems, in order, as add would.
func (l *problemList) merge(m *problemList) {
	for _, p := range m.ps {
		l.addProblem(p)
	}
}

func (l *problemList) err() error {
	if len(l.ps) == 0 {
		return nil
	}
	return l.ps.sorted()
}
