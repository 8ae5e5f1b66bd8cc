package fetch

import (
	"compress/gzip"
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestFetchHTTP runs each mirror scenario against a real server and checks
// the file, the request counts, the error text and the absence of leftovers.
func TestFetchHTTP(t *testing.T) {
	good := newBlob("zlib source bytes\n")
	evil := newBlob("tampered bytes\n")
	var flaky int
	routes := map[string]http.HandlerFunc{
		"/good.tar.gz": serve(good),
		"/evil.tar.gz": serve(evil),
		"/old":         func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/good.tar.gz", http.StatusFound) },
		"/moved": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/gone", http.StatusMovedPermanently)
		},
		"/truncated": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Write(good.data) // then the handler returns: the server closes the connection
		},
		"/stall-body": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			w.Write(good.data[:5])
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		},
		"/stall-headers": func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() },
		"/busy":          func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) },
		"/flaky": func(w http.ResponseWriter, r *http.Request) {
			if flaky++; flaky == 1 {
				http.Error(w, "busy", http.StatusBadGateway)
				return
			}
			w.Write(good.data)
		},
	}
	srv := newTestServer(t, routes)
	dead := deadURL(t)
	u := srv.url
	tests := []struct {
		name     string
		urls     []string
		retries  int
		wantOK   bool
		wantHits map[string]int
		wantErr  []string
	}{
		{name: "fallback dead then 404 then good", urls: []string{dead, u("/missing"), u("/good.tar.gz")}, wantOK: true,
			wantHits: map[string]int{"/missing": 1, "/good.tar.gz": 1}},
		{name: "404 on all", urls: []string{u("/a.tar.gz"), u("/b.tar.gz")}, retries: 3,
			wantHits: map[string]int{"/a.tar.gz": 1, "/b.tar.gz": 1},
			wantErr:  []string{"fetch core-zlib.tar.gz source src: zlib.tar.gz: 2 sources failed", u("/a.tar.gz") + ": HTTP 404 Not Found", u("/b.tar.gz") + ": HTTP 404 Not Found"}},
		{name: "connection refused", urls: []string{dead}, retries: 3, wantErr: []string{dead + ": connection refused"}},
		{name: "wrong hash", urls: []string{u("/evil.tar.gz")}, retries: 3, wantHits: map[string]int{"/evil.tar.gz": 1},
			wantErr: []string{u("/evil.tar.gz") + ": sha256 mismatch: got " + evil.sha + ", want " + good.sha}},
		{name: "truncated body retried", urls: []string{u("/truncated")}, retries: 1, wantHits: map[string]int{"/truncated": 2},
			wantErr: []string{u("/truncated") + " (2 tries): truncated body: received 18 of 1000 bytes (Content-Length)"}},
		{name: "stalled body then good", urls: []string{u("/stall-body"), u("/good.tar.gz")}, wantOK: true,
			wantHits: map[string]int{"/stall-body": 1, "/good.tar.gz": 1}},
		{name: "stalled body", urls: []string{u("/stall-body")}, wantErr: []string{u("/stall-body") + ": stalled: no data for 150ms"}},
		{name: "stalled headers", urls: []string{u("/stall-headers")}, wantErr: []string{u("/stall-headers") + ": stalled: no data for 150ms"}},
		{name: "redirect", urls: []string{u("/old")}, wantOK: true, wantHits: map[string]int{"/old": 1, "/good.tar.gz": 1}},
		{name: "redirect to 404", urls: []string{u("/moved")},
			wantErr: []string{u("/moved") + " (redirected to " + u("/gone") + "): HTTP 404 Not Found"}},
		{name: "503 retried then given up", urls: []string{u("/busy")}, retries: 2, wantHits: map[string]int{"/busy": 3},
			wantErr: []string{u("/busy") + " (3 tries): HTTP 503 Service Unavailable"}},
		{name: "502 then 200", urls: []string{u("/flaky")}, retries: 2, wantOK: true, wantHits: map[string]int{"/flaky": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.mu.Lock()
			clear(srv.hits)
			srv.mu.Unlock()
			dest := filepath.Join(t.TempDir(), "core", "zlib")
			it := item(dest, "zlib.tar.gz", good, tt.urls...)
			opts := Options{Retries: tt.retries, Backoff: time.Millisecond, StallTimeout: 150 * time.Millisecond}
			err := Fetch(context.Background(), []Item{it}, opts)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				wantFile(t, it.Path(), good)
				wantDir(t, dest, "zlib.tar.gz")
			} else {
				if err == nil {
					t.Fatal("Fetch succeeded, want an error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error does not contain %q:\n%v", w, err)
					}
				}
				wantDir(t, dest) // nothing, not even a temp file
			}
			for path, want := range tt.wantHits {
				if got := srv.count(path); got != want {
					t.Errorf("requests to %s = %d, want %d", path, got, want)
				}
			}
		})
	}
}

// TestNoTransparentDecompression checks that a server which would gzip the
// response on request still yields the stored bytes.
func TestNoTransparentDecompression(t *testing.T) {
	good := newBlob(strings.Repeat("compressible ", 100))
	srv := newTestServer(t, map[string]http.HandlerFunc{"/z.tar.gz": func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte("not the stored bytes"))
			zw.Close()
			return
		}
		w.Write(good.data)
	}})
	dest := t.TempDir()
	it := item(dest, "z.tar.gz", good, srv.url("/z.tar.gz"))
	if err := Fetch(context.Background(), []Item{it}, Options{}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	wantFile(t, it.Path(), good)
}

// TestDeadline checks that the caller's deadline ends a slow download with
// the context's error and no leftovers.
func TestDeadline(t *testing.T) {
	good := newBlob("never complete")
	srv := newTestServer(t, map[string]http.HandlerFunc{"/trickle": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		for {
			w.Write([]byte("x"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}})
	dest := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	err := Fetch(ctx, []Item{item(dest, "t.tar", good, srv.url("/trickle"))}, Options{StallTimeout: time.Second})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Fetch = %v, want context.DeadlineExceeded", err)
	}
	wantDir(t, dest)
}

// TestDownloadSizeLimit checks that an endless body, or a Content-Length
// over the limit, fails as soon as the limit is passed, is not retried and
// leaves nothing behind.
func TestDownloadSizeLimit(t *testing.T) {
	good := newBlob("small")
	chunk := []byte(strings.Repeat("x", 32<<10))
	srv := newTestServer(t, map[string]http.HandlerFunc{
		"/endless": func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		"/huge": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "10000000000")
			w.Write(chunk)
		},
	})
	for _, tc := range []struct{ path, want string }{
		{"/endless", "body grew past the download limit of 1048576 bytes"},
		{"/huge", "Content-Length 10000000000 is over the download limit of 1048576 bytes"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			dest := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			start := time.Now()
			err := Fetch(ctx, []Item{item(dest, "s.tar", good, srv.url(tc.path))}, Options{MaxBytes: 1 << 20, Retries: 2, Backoff: time.Millisecond})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Fetch = %v, want %q", err, tc.want)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("took %v to give up", d)
			}
			if n := srv.count(tc.path); n != 1 {
				t.Errorf("requests = %d, want 1 (no retry)", n)
			}
			wantDir(t, dest)
		})
	}
	if DefaultMaxBytes <= 0 || (Options{}).withDefaults().MaxBytes != DefaultMaxBytes {
		t.Errorf("zero Options get no default download limit")
	}
}
