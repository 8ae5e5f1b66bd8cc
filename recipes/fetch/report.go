package fetch

import (
	"fmt"
	"sync"
)

// Kind says what happened in an Event.
type Kind int

// Event kinds, in the order they occur for one file. Begin and End frame a
// whole Fetch call so that a display can show totals and finish its line.
const (
	// KindBegin starts a Fetch call; Total is the number of distinct files.
	KindBegin Kind = iota
	// KindStart: a download from URL begins (the response headers are in);
	// Total is its size, -1 if unknown. Local copies have no Start.
	KindStart
	// KindProgress: Bytes of Total received so far (at most a few per second).
	KindProgress
	// KindAttemptFailed: the attempt at URL failed with Err; Fetch moves on
	// (to the same URL after a backoff, to the next source, or to KindFailed).
	KindAttemptFailed
	// KindDone: the file is in place, verified, taken from URL (a URL or a
	// mirror dir path); Bytes long.
	KindDone
	// KindSkipped: the file was already present with the right hash.
	KindSkipped
	// KindFailed: every source failed; Err is the *SourceError.
	KindFailed
	// KindEnd ends a Fetch call; Err is what Fetch returns.
	KindEnd
)

var kindNames = [...]string{"begin", "start", "progress", "attempt-failed", "done", "skipped", "failed", "end"}

// String returns the lowercase name used by the line reporter.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("kind(%d)", int(k))
	}
	return kindNames[k]
}

// Event is one progress report. Package, Key and File name the file (the
// first item needing it when several do); they are empty for Begin and End.
type Event struct {
	Kind               Kind
	Package, Key, File string
	URL                string
	Bytes, Total       int64
	Err                error
}

// Reporter receives progress events. It is an interface so that the CLI can
// pick a display (NewLineReporter for logs, NewBarReporter for terminals)
// and tests can record events.
type Reporter interface {
	Report(Event)
}

// nopReporter is the silent default.
type nopReporter struct{}

func (nopReporter) Report(Event) {}

// syncReporter serialises calls so that Reporter implementations need no
// locking of their own.
type syncReporter struct {
	mu sync.Mutex
	r  Reporter
}

func (s *syncReporter) Report(e Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r.Report(e)
}

// event builds an Event about job j.
func (j *job) event(k Kind) Event {
	it := j.items[0]
	return Event{Kind: k, Package: it.Package, Key: it.Key, File: it.File}
}
