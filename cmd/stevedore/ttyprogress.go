package main

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
)

// ttyProgress is the live view of `stevedore build` on a terminal: the
// target being built and the last lines of its log are redrawn in place;
// results (digests, cached targets) scroll above them and stay.
type ttyProgress struct {
	mu      sync.Mutex
	w       io.Writer
	width   int
	keep    int // log lines shown under the header
	header  string
	tail    []string
	drawn   int // lines of the live block currently on screen
	partial []byte
}

func newTTYProgress(w io.Writer) *ttyProgress { return &ttyProgress{w: w, width: 120, keep: 6} }

var (
	headerRE    = regexp.MustCompile(`^\[\d+/\d+\] `)
	permanentRE = regexp.MustCompile(`^\S+ (sha256:[0-9a-f]{64}|cached)$`)
)

func (p *ttyProgress) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.partial = append(p.partial, b...)
	for {
		i := bytes.IndexByte(p.partial, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := string(p.partial[:i])
		p.partial = p.partial[i+1:]
		p.line(line)
	}
}

// line files one complete line and redraws the live block.
func (p *ttyProgress) line(line string) {
	p.clear()
	switch {
	case permanentRE.MatchString(line):
		fmt.Fprintln(p.w, line)
	case headerRE.MatchString(line):
		if strings.HasSuffix(strings.Fields(line)[len(strings.Fields(line))-1], "ms") || strings.Contains(line, " done in ") {
			p.tail = nil
		} else {
			p.header, p.tail = line, nil
		}
	default:
		p.tail = append(p.tail, line)
		if len(p.tail) > p.keep {
			p.tail = p.tail[len(p.tail)-p.keep:]
		}
	}
	p.draw()
}

// clear erases the live block (cursor up, clear to end of screen).
func (p *ttyProgress) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA\x1b[J", p.drawn)
		p.drawn = 0
	}
}

func (p *ttyProgress) draw() {
	if p.header == "" {
		return
	}
	lines := append([]string{p.header}, p.tail...)
	for _, l := range lines {
		if len(l) > p.width {
			l = l[:p.width-3] + "..."
		}
		fmt.Fprintln(p.w, l)
	}
	p.drawn = len(lines)
}

// Close erases the live block, leaving only the permanent lines.
func (p *ttyProgress) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clear()
	return nil
}
