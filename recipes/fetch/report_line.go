package fetch

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// lineProgressStep is how often, in bytes, a download of unknown size gets
// a progress line; known sizes get one per quarter.
const lineProgressStep = 16 << 20

// LineReporter writes one line per event, for logs and CI where redrawn
// lines turn into noise. Progress lines are thinned out to quarters (or
// every 16 MiB when the size is unknown).
type LineReporter struct {
	mu     sync.Mutex
	w      io.Writer
	step   map[string]int64 // last progress bucket per file
	counts map[Kind]int
}

var _ Reporter = (*LineReporter)(nil)

// NewLineReporter returns a LineReporter writing to w.
func NewLineReporter(w io.Writer) *LineReporter {
	return &LineReporter{w: w, step: map[string]int64{}, counts: map[Kind]int{}}
}

// Report writes the line for e, if e deserves one.
func (l *LineReporter) Report(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.counts[e.Kind]++
	who := fmt.Sprintf("fetch %s %s", e.Package, e.File)
	switch e.Kind {
	case KindBegin:
		fmt.Fprintf(l.w, "fetch: %d files\n", e.Total)
	case KindStart:
		fmt.Fprintf(l.w, "%s: start %s%s\n", who, e.URL, sizeNote(e.Total))
	case KindProgress:
		if l.progressDue(e) {
			fmt.Fprintf(l.w, "%s: %s\n", who, progressText(e.Bytes, e.Total))
		}
	case KindAttemptFailed:
		fmt.Fprintf(l.w, "%s: attempt failed: %s: %s\n", who, e.URL, firstLine(e.Err))
	case KindDone:
		fmt.Fprintf(l.w, "%s: done from %s (%s)\n", who, e.URL, humanBytes(e.Bytes))
	case KindSkipped:
		fmt.Fprintf(l.w, "%s: present, verified\n", who)
	case KindFailed:
		fmt.Fprintf(l.w, "%s: failed: %s\n", who, failureText(e.Err))
	case KindEnd:
		fmt.Fprintf(l.w, "fetch: %d downloaded or copied, %d present, %d failed\n",
			l.counts[KindDone], l.counts[KindSkipped], l.counts[KindFailed])
	}
}

// progressDue says whether e crosses into a new progress bucket.
func (l *LineReporter) progressDue(e Event) bool {
	var bucket int64
	if e.Total > 0 {
		bucket = e.Bytes * 4 / e.Total
	} else {
		bucket = e.Bytes / lineProgressStep
	}
	k := e.Package + "\x00" + e.File
	if bucket <= l.step[k] {
		return false
	}
	l.step[k] = bucket
	return true
}

// progressText renders "3.0 MiB of 12.0 MiB (25%)" or "3.0 MiB".
func progressText(n, total int64) string {
	if total <= 0 {
		return humanBytes(n)
	}
	return fmt.Sprintf("%s of %s (%d%%)", humanBytes(n), humanBytes(total), n*100/total)
}

func sizeNote(total int64) string {
	if total < 0 {
		return ""
	}
	return " (" + humanBytes(total) + ")"
}

// firstLine keeps a multi-line error on one line; the full error is what
// Fetch returns.
func firstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// humanBytes renders a byte count with binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit && exp < 4; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTP"[exp])
}
