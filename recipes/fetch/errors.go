package fetch

import (
	"errors"
	"fmt"
	"strings"
)

// Attempt is one source tried for a file and why it did not work; kept so
// that the final error tells the user exactly which mirror to look at.
type Attempt struct {
	// Source is the URL or local path tried.
	Source string
	// Final is the URL after redirects, when it differs from Source.
	Final string
	// Tries is how many requests were made (more than 1 after retries).
	Tries int
	Err   error
}

func (a Attempt) String() string {
	s := a.Source
	if a.Final != "" && a.Final != a.Source {
		s += " (redirected to " + a.Final + ")"
	}
	if a.Tries > 1 {
		s += fmt.Sprintf(" (%d tries)", a.Tries)
	}
	return s + ": " + a.Err.Error()
}

// SourceError reports one file that could not be put in place, with every
// source tried. It is a type so that callers can list failures themselves.
type SourceError struct {
	Package, Key, File string
	// Path is where the file should be: Dest/File.
	Path string
	// Also names the other items ("<package> source <key>") needing the file.
	Also []string
	// URLs are the file's mirrors, so that an offline user knows where a
	// connected host can get it.
	URLs     []string
	Attempts []Attempt
	// Err is a failure not tied to a source (say, an unwritable Dest), or nil.
	Err error
}

func (e *SourceError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fetch %s source %s", e.Package, e.Key)
	if len(e.Also) > 0 {
		fmt.Fprintf(&b, " (also needed by %s)", strings.Join(e.Also, ", "))
	}
	fmt.Fprintf(&b, ": %s: %s", e.File, e.summary())
	for _, a := range e.Attempts {
		b.WriteString("\n    " + a.String())
	}
	return b.String()
}

// summary says in a few words why the file is missing, for one-line displays.
func (e *SourceError) summary() string {
	switch {
	case e.Err != nil:
		return firstLine(e.Err)
	case len(e.Attempts) == 0:
		return "no source to try"
	}
	return fmt.Sprintf("%d %s failed", len(e.Attempts), plural(len(e.Attempts), "source", "sources"))
}

// failureText is the one-line reason shown by the reporters.
func failureText(err error) string {
	var se *SourceError
	if errors.As(err, &se) {
		return se.summary()
	}
	return firstLine(err)
}

// Unwrap gives errors.Is access to the underlying failures.
func (e *SourceError) Unwrap() []error {
	var errs []error
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	for _, a := range e.Attempts {
		errs = append(errs, a.Err)
	}
	return errs
}

// MissingError is what an offline Fetch returns: every file it could not
// put in place, in one error, so that an air-gapped user can gather them all
// in one trip.
type MissingError struct {
	Sources []*SourceError
	// MirrorDirs are the folders that were searched, echoed so that the
	// user sees where the files were expected.
	MirrorDirs []string
}

func (e *MissingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "fetch offline: %d source %s missing (no network allowed; copy them in place or pass a mirror dir):", len(e.Sources), plural(len(e.Sources), "file", "files"))
	if len(e.MirrorDirs) > 0 {
		fmt.Fprintf(&b, "\n  mirror dirs searched: %s", strings.Join(e.MirrorDirs, ", "))
	}
	for _, s := range e.Sources {
		fmt.Fprintf(&b, "\n  %s source %s: %s at %s", s.Package, s.Key, s.File, s.Path)
		if len(s.URLs) > 0 {
			fmt.Fprintf(&b, " (from %s)", s.URLs[0])
		}
		if s.Err != nil {
			fmt.Fprintf(&b, ": %v", s.Err)
		}
		for _, a := range s.Attempts {
			b.WriteString("\n    " + a.String())
		}
	}
	return b.String()
}

// Unwrap exposes each *SourceError to errors.As.
func (e *MissingError) Unwrap() []error {
	errs := make([]error, len(e.Sources))
	for i, s := range e.Sources {
		errs[i] = s
	}
	return errs
}

// HashError is a content mismatch: the source served or held other bytes.
type HashError struct {
	Got, Want string
}

func (e *HashError) Error() string {
	return fmt.Sprintf("sha256 mismatch: got %s, want %s", e.Got, e.Want)
}

// statusError is a non-200 HTTP answer.
type statusError struct {
	code   int
	status string
}

func (e *statusError) Error() string { return "HTTP " + e.status }

// truncatedError is a body shorter than its Content-Length.
type truncatedError struct {
	got, want int64
}

func (e *truncatedError) Error() string {
	return fmt.Sprintf("truncated body: received %d of %d bytes (Content-Length)", e.got, e.want)
}

// tooLargeError is a response over Options.MaxBytes; length is its
// Content-Length, -1 when the body grew past the limit.
type tooLargeError struct {
	limit, length int64
}

func (e *tooLargeError) Error() string {
	if e.length >= 0 {
		return fmt.Sprintf("Content-Length %d is over the download limit of %d bytes (raise it with --max-download-size if the source really is that large)", e.length, e.limit)
	}
	return fmt.Sprintf("body grew past the download limit of %d bytes (raise it with --max-download-size if the source really is that large)", e.limit)
}

// errStalled marks a request cancelled by the stall timer.
var errStalled = errors.New("stalled")

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
