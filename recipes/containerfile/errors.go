package containerfile

import (
	"fmt"
	"strings"
)

// Error is one problem of a Containerfile at a position.
type Error struct {
	Pos Pos
	Msg string
}

func (e Error) Error() string { return fmt.Sprintf("%s: %s", e.Pos, e.Msg) }

// Errors lists every problem found in one file, in line order.
type Errors []Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}

type errorList struct {
	path string
	es   Errors
}

func (l *errorList) add(line int, format string, a ...any) {
	l.es = append(l.es, Error{Pos: Pos{File: l.path, Line: line}, Msg: fmt.Sprintf(format, a...)})
}

func (l *errorList) err() error {
	if len(l.es) == 0 {
		return nil
	}
	return l.es
}
