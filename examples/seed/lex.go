package main

import (
	"fmt"
	"os"
	"strings"
)

const (
	tokWord = iota
	tokSep
	tokRedirect
	tokAppend
	tokEOF
)

type lexer struct {
	s string
	i int
}

// next returns the next word or operator.
func (l *lexer) next() (string, int, error) {
	for l.i < len(l.s) && (l.s[l.i] == ' ' || l.s[l.i] == '\t') {
		l.i++
	}
	if l.i >= len(l.s) {
		return "", tokEOF, nil
	}
	switch {
	case l.s[l.i] == '\n' || l.s[l.i] == ';':
		l.i++
		return "", tokSep, nil
	case strings.HasPrefix(l.s[l.i:], "&&"):
		l.i += 2
		return "", tokSep, nil
	case strings.HasPrefix(l.s[l.i:], ">>"):
		l.i += 2
		return "", tokAppend, nil
	case l.s[l.i] == '>':
		l.i++
		return "", tokRedirect, nil
	case l.s[l.i] == '#':
		for l.i < len(l.s) && l.s[l.i] != '\n' {
			l.i++
		}
		return l.next()
	}
	return l.word()
}

func (l *lexer) word() (string, int, error) {
	var b strings.Builder
	for l.i < len(l.s) {
		c := l.s[l.i]
		switch {
		case strings.IndexByte(" \t\n;>", c) >= 0 || strings.HasPrefix(l.s[l.i:], "&&"):
			return b.String(), tokWord, nil
		case c == '\'':
			end := strings.IndexByte(l.s[l.i+1:], '\'')
			if end < 0 {
				return "", 0, fmt.Errorf("unterminated '")
			}
			b.WriteString(l.s[l.i+1 : l.i+1+end])
			l.i += end + 2
		case c == '"':
			l.i++
			for l.i < len(l.s) && l.s[l.i] != '"' {
				if l.s[l.i] == '$' {
					b.WriteString(l.variable())
					continue
				}
				b.WriteByte(l.s[l.i])
				l.i++
			}
			if l.i >= len(l.s) {
				return "", 0, fmt.Errorf("unterminated \"")
			}
			l.i++
		case c == '$':
			b.WriteString(l.variable())
		default:
			b.WriteByte(c)
			l.i++
		}
	}
	return b.String(), tokWord, nil
}

// variable expands $NAME or ${NAME} at l.i.
func (l *lexer) variable() string {
	l.i++
	if l.i < len(l.s) && l.s[l.i] == '{' {
		end := strings.IndexByte(l.s[l.i:], '}')
		if end < 0 {
			return "${"
		}
		name := l.s[l.i+1 : l.i+end]
		l.i += end + 1
		return os.Getenv(name)
	}
	start := l.i
	for l.i < len(l.s) && (l.s[l.i] == '_' || l.s[l.i] >= 'A' && l.s[l.i] <= 'Z' || l.s[l.i] >= 'a' && l.s[l.i] <= 'z' || l.s[l.i] >= '0' && l.s[l.i] <= '9') {
		l.i++
	}
	if start == l.i {
		return "$"
	}
	return os.Getenv(l.s[start:l.i])
}
