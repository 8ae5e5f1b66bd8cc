package fetch

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
)

// barWidth bounds the status line: a line that wraps can no longer be
// redrawn with a carriage return.
const barWidth = 79

// BarReporter draws one status line, redrawn in place with "\r", for an
// interactive terminal: files finished of total, bytes received and the
// active downloads. Failures are printed as permanent lines above it.
type BarReporter struct {
	mu       sync.Mutex
	w        io.Writer
	total    int64
	finished int
	failed   int
	received int64            // bytes of completed downloads
	active   map[string]Event // latest start/progress per file
	drawn    bool
}

var _ Reporter = (*BarReporter)(nil)

// NewBarReporter returns a BarReporter drawing on w (a terminal; the CLI
// decides, this package does not probe).
func NewBarReporter(w io.Writer) *BarReporter {
	return &BarReporter{w: w, active: map[string]Event{}}
}

// Report updates the counters and redraws the status line.
func (b *BarReporter) Report(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := e.Package + "\x00" + e.File
	switch e.Kind {
	case KindBegin:
		b.total = e.Total
	case KindStart, KindProgress:
		b.active[k] = e
	case KindAttemptFailed:
		delete(b.active, k)
		b.printLine(fmt.Sprintf("%s %s: %s: %s", e.Package, e.File, e.URL, firstLine(e.Err)))
	case KindDone, KindSkipped:
		delete(b.active, k)
		b.finished++
		b.received += e.Bytes
	case KindFailed:
		delete(b.active, k)
		b.finished++
		b.failed++
		b.printLine(fmt.Sprintf("%s %s: failed: %s", e.Package, e.File, failureText(e.Err)))
	case KindEnd:
		b.clear()
		fmt.Fprintf(b.w, "fetched %d of %d files, %s, %d failed\n", b.finished-b.failed, b.total, humanBytes(b.received), b.failed)
		return
	}
	b.draw()
}

// printLine prints a permanent line above the status line.
func (b *BarReporter) printLine(s string) {
	b.clear()
	fmt.Fprintln(b.w, s)
}

// clear erases the status line if one is drawn.
func (b *BarReporter) clear() {
	if b.drawn {
		io.WriteString(b.w, "\r\x1b[K")
		b.drawn = false
	}
}

// draw redraws the status line.
func (b *BarReporter) draw() {
	var inflight int64
	keys := make([]string, 0, len(b.active))
	for k, e := range b.active {
		keys = append(keys, k)
		inflight += e.Bytes
	}
	slices.Sort(keys)
	s := fmt.Sprintf("fetch [%d/%d] %s", b.finished, b.total, humanBytes(b.received+inflight))
	if len(keys) > 0 {
		e := b.active[keys[0]]
		s += "  " + e.File + " " + barPercent(e)
		if len(keys) > 1 {
			s += fmt.Sprintf(" +%d more", len(keys)-1)
		}
	}
	if len(s) > barWidth {
		s = s[:barWidth-3] + "..."
	}
	io.WriteString(b.w, "\r\x1b[K"+s)
	b.drawn = true
}

// barPercent renders a small bar like "[#####     ] 50%" or the byte count.
func barPercent(e Event) string {
	if e.Total <= 0 {
		return humanBytes(e.Bytes)
	}
	pct := int(e.Bytes * 100 / e.Total)
	fill := min(max(pct/10, 0), 10)
	return "[" + strings.Repeat("#", fill) + strings.Repeat(" ", 10-fill) + fmt.Sprintf("] %d%%", pct)
}
