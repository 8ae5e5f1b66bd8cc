package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// stdout is where applets write; sh redirects it for `>` and `>>`.
var stdout io.Writer = os.Stdout

// runSh is a deliberately small shell: `sh -c SCRIPT` or `sh FILE`.
// Commands are separated by newlines, `;` and `&&`; words may be quoted
// with '...' or "..."; $VAR and ${VAR} expand outside single quotes;
// `> file` and `>> file` redirect. The first failing command stops it.
func runSh(args []string) error {
	var script string
	switch {
	case len(args) >= 2 && args[0] == "-c":
		script = args[1]
	case len(args) == 1:
		data, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		script = string(data)
	default:
		return fmt.Errorf("usage: sh -c SCRIPT | sh FILE")
	}
	cmds, err := parse(script)
	if err != nil {
		return err
	}
	for _, c := range cmds {
		if st := c.run(); st != 0 {
			return errExit(st)
		}
	}
	return nil
}

type command struct {
	words        []string
	out          string
	appendOutput bool
}

func (c command) run() int {
	if len(c.words) == 0 {
		return 0
	}
	prev := stdout
	defer func() { stdout = prev }()
	if c.out != "" {
		flag := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
		if c.appendOutput {
			flag = os.O_WRONLY | os.O_CREATE | os.O_APPEND
		}
		f, err := os.OpenFile(c.out, flag, 0o644)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sh: %v\n", err)
			return 1
		}
		defer f.Close()
		stdout = f
	}
	name := c.words[0]
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return call(name, c.words[1:])
}

// parse splits a script into commands.
func parse(script string) ([]command, error) {
	var cmds []command
	cur := command{}
	p := &lexer{s: script}
	for {
		tok, kind, err := p.next()
		if err != nil {
			return nil, err
		}
		switch kind {
		case tokEOF:
			return append(cmds, cur), nil
		case tokSep:
			cmds = append(cmds, cur)
			cur = command{}
		case tokRedirect, tokAppend:
			target, k, err := p.next()
			if err != nil || k != tokWord {
				return nil, fmt.Errorf("redirect without a file")
			}
			cur.out, cur.appendOutput = target, kind == tokAppend
		default:
			cur.words = append(cur.words, tok)
		}
	}
}
