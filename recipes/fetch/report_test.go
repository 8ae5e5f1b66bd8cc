package fetch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

// TestReporterEvents checks the event sequence of a fetch with one failed
// mirror, one download and one present file.
func TestReporterEvents(t *testing.T) {
	good, kept := newBlob("downloaded"), newBlob("kept")
	srv := newTestServer(t, map[string]http.HandlerFunc{"/d.tar": serve(good)})
	dest := t.TempDir()
	writeFile(t, dest+"/k.tar", kept.data, 0o644)
	rec := &recorder{}
	items := []Item{
		{Package: "a", Key: "d", File: "d.tar", SHA256: good.sha, Dest: dest, URLs: []string{srv.url("/nope"), srv.url("/d.tar")}},
		{Package: "b", Key: "k", File: "k.tar", SHA256: kept.sha, Dest: dest, URLs: []string{srv.url("/k.tar")}},
	}
	if err := Fetch(context.Background(), items, Options{Parallel: 1, Reporter: rec}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	wantKinds(t, rec, KindBegin, KindAttemptFailed, KindStart, KindDone, KindSkipped, KindEnd)
	done := rec.events[3]
	if done.URL != srv.url("/d.tar") || done.Bytes != int64(len(good.data)) || done.Package != "a" {
		t.Errorf("done event = %+v", done)
	}
}

// TestLineReporter pins the line format.
func TestLineReporter(t *testing.T) {
	var buf bytes.Buffer
	r := NewLineReporter(&buf)
	ev := Event{Package: "core-zlib", Key: "zlib", File: "zlib.tar.gz", URL: "http://m/zlib.tar.gz"}
	send := func(k Kind, bytes, total int64, err error) {
		e := ev
		e.Kind, e.Bytes, e.Total, e.Err = k, bytes, total, err
		r.Report(e)
	}
	send(KindBegin, 0, 2, nil)
	send(KindStart, 0, 4<<20, nil)
	send(KindProgress, 1<<20, 4<<20, nil)
	send(KindProgress, 1<<20+1, 4<<20, nil) // same quarter: no line
	send(KindAttemptFailed, 0, 0, errors.New("HTTP 503\nsecond line"))
	send(KindDone, 4<<20, 0, nil)
	send(KindSkipped, 0, 0, nil)
	send(KindFailed, 0, 0, errors.New("2 sources failed\n  details"))
	send(KindEnd, 0, 0, nil)
	want := `fetch: 2 files
fetch core-zlib zlib.tar.gz: start http://m/zlib.tar.gz (4.0 MiB)
fetch core-zlib zlib.tar.gz: 1.0 MiB of 4.0 MiB (25%)
fetch core-zlib zlib.tar.gz: attempt failed: http://m/zlib.tar.gz: HTTP 503
fetch core-zlib zlib.tar.gz: done from http://m/zlib.tar.gz (4.0 MiB)
fetch core-zlib zlib.tar.gz: present, verified
fetch core-zlib zlib.tar.gz: failed: 2 sources failed
fetch: 1 downloaded or copied, 1 present, 1 failed
`
	if got := buf.String(); got != want {
		t.Errorf("line reporter wrote\n%s\nwant\n%s", got, want)
	}
}

// TestBarReporter checks the redrawn status line and the final summary.
func TestBarReporter(t *testing.T) {
	var buf bytes.Buffer
	r := NewBarReporter(&buf)
	ev := Event{Package: "core-zlib", Key: "zlib", File: "zlib.tar.gz"}
	r.Report(Event{Kind: KindBegin, Total: 2})
	e := ev
	e.Kind, e.Bytes, e.Total = KindProgress, 512, 1024
	r.Report(e)
	e.Kind, e.Bytes = KindDone, 1024
	r.Report(e)
	e.Kind, e.Err = KindFailed, errors.New("boom")
	e.File = "other.tar"
	r.Report(e)
	r.Report(Event{Kind: KindEnd})
	want := "\r\x1b[Kfetch [0/2] 0 B" +
		"\r\x1b[Kfetch [0/2] 512 B  zlib.tar.gz [#####     ] 50%" +
		"\r\x1b[Kfetch [1/2] 1.0 KiB" +
		"\r\x1b[Kcore-zlib other.tar: failed: boom\n" +
		"\r\x1b[Kfetch [2/2] 1.0 KiB" +
		"\r\x1b[Kfetched 1 of 2 files, 1.0 KiB, 1 failed\n"
	if got := buf.String(); got != want {
		t.Errorf("bar reporter wrote\n%q\nwant\n%q", got, want)
	}
}

// TestBarWidth checks that a long status line is cut before it wraps.
func TestBarWidth(t *testing.T) {
	var buf bytes.Buffer
	r := NewBarReporter(&buf)
	r.Report(Event{Kind: KindStart, Package: "p", File: strings.Repeat("n", 200), Total: -1})
	line := strings.TrimPrefix(buf.String(), "\r\x1b[K")
	if len(line) != barWidth || !strings.HasSuffix(line, "...") {
		t.Errorf("status line %q: %d bytes, want %d ending in ...", line, len(line), barWidth)
	}
}

func TestHumanBytes(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1024, "1.0 KiB"}, {3 << 20, "3.0 MiB"}, {5 << 30, "5.0 GiB"}} {
		if got := humanBytes(tt.n); got != tt.want {
			t.Errorf("humanBytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestFailureText checks that reporters show a SourceError's reason without
// repeating the package and file they already print.
func TestFailureText(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&SourceError{Package: "p", Key: "k", File: "f", Attempts: []Attempt{{Source: "u", Err: errors.New("x")}}}, "1 source failed"},
		{&SourceError{Package: "p", Key: "k", File: "f"}, "no source to try"},
		{&SourceError{Package: "p", Key: "k", File: "f", Err: errors.New("is a directory\nmore")}, "is a directory"},
		{errors.New("plain\nmore"), "plain"},
	} {
		if got := failureText(tt.err); got != tt.want {
			t.Errorf("failureText(%q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
