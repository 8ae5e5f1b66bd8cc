package containerfile

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// Parse parses a Containerfile. path is used in positions and messages. The
// returned error, when not nil, is Errors: every problem of the file, each
// with its line, including instructions and flags stevedore does not
// implement. The File is returned only when there is no error.
func Parse(path string, data []byte) (*File, error) {
	el := &errorList{path: path}
	if syntax, _, loc, ok := parser.DetectSyntax(data); ok {
		el.add(firstLine(loc), "the '# syntax=%s' directive selects an external frontend; stevedore implements BuildKit's built-in Containerfile syntax only: remove the directive", syntax)
		return nil, el.err()
	}
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		el.add(errorLine(err), "parse: %s", errorMessage(err))
		return nil, el.err()
	}
	f := &File{Path: path, Escape: res.EscapeToken, ast: res.AST}
	for _, node := range res.AST.Children {
		line := node.StartLine
		cmd, err := instructions.ParseInstruction(node)
		if err != nil {
			el.add(line, "%s", errorMessage(err))
			if strings.EqualFold(node.Value, "from") {
				// Keep a stand-in stage so that the instructions after a
				// broken FROM are checked as part of a stage.
				f.Stages = append(f.Stages, &Stage{Index: len(f.Stages), Pos: Pos{File: path, Line: line}})
			}
			continue
		}
		f.add(el, node, cmd)
	}
	if len(f.Stages) == 0 && len(el.es) == 0 {
		el.add(1, "no FROM instruction: a Containerfile needs at least one stage")
	}
	if err := el.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// add appends one parsed BuildKit command to the file.
func (f *File) add(el *errorList, node *parser.Node, cmd any) {
	pos := Pos{File: f.Path, Line: node.StartLine}
	if st, ok := cmd.(*instructions.Stage); ok {
		f.Stages = append(f.Stages, &Stage{
			Index:    len(f.Stages),
			Name:     st.Name,
			Base:     st.BaseName,
			Platform: st.Platform,
			Pos:      pos,
		})
		return
	}
	c, ok := cmd.(instructions.Command)
	if !ok {
		el.add(pos.Line, "%T is not a command", cmd)
		return
	}
	if len(f.Stages) == 0 {
		if a, ok := c.(*instructions.ArgCommand); ok {
			f.MetaArgs = append(f.MetaArgs, lowerArg(pos, a))
			return
		}
		el.add(pos.Line, "%s before the first FROM: only ARG may come before FROM", strings.ToUpper(c.Name()))
		return
	}
	in, err := lower(pos, c)
	if err != nil {
		el.add(pos.Line, "%s", err)
		return
	}
	st := f.Stages[len(f.Stages)-1]
	st.Instructions = append(st.Instructions, in)
}

// errorLine extracts the first line of a BuildKit location error.
func errorLine(err error) int {
	var le *parser.LocationError
	if errors.As(err, &le) {
		for _, locs := range le.Locations {
			if l := firstLine(locs); l > 0 {
				return l
			}
		}
	}
	return 0
}

func firstLine(loc []parser.Range) int {
	if len(loc) == 0 {
		return 0
	}
	return loc[0].Start.Line
}

// errorMessage strips BuildKit's wrapping so that messages read as one line.
func errorMessage(err error) string {
	var le *parser.LocationError
	if errors.As(err, &le) && le.Unwrap() != nil {
		return le.Unwrap().Error()
	}
	return err.Error()
}

// Commands returns BuildKit's typed stages and commands of the file, made
// afresh from the syntax tree Parse read: the executor expands their words
// in place, so two builds of one File (a package's subpackages, in
// parallel) must not share them. The file is not read or parsed again.
func (f *File) Commands() ([]instructions.Stage, error) {
	stages, _, err := instructions.Parse(f.ast, nil)
	if err != nil {
		return nil, Error{Pos: Pos{File: f.Path, Line: errorLine(err)}, Msg: errorMessage(err)}
	}
	if len(stages) != len(f.Stages) {
		return nil, fmt.Errorf("%s: %d stages, Parse found %d", f.Path, len(stages), len(f.Stages))
	}
	return stages, nil
}
