package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestParallelBound checks that no more than Parallel requests are in
// flight, and that the bound is actually used.
func TestParallelBound(t *testing.T) {
	routes := map[string]http.HandlerFunc{}
	var items []Item
	dest := t.TempDir()
	for i := range 9 {
		b := newBlob(fmt.Sprint("file ", i))
		name := fmt.Sprintf("f%d.tar", i)
		routes["/"+name] = func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(100 * time.Millisecond)
			w.Write(b.data)
		}
		items = append(items, Item{Package: "p", Key: name, File: name, SHA256: b.sha, Dest: dest})
	}
	srv := newTestServer(t, routes)
	for i := range items {
		items[i].URLs = []string{srv.url("/" + items[i].File)}
	}
	if err := Fetch(context.Background(), items, Options{Parallel: 3}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got, want := srv.maxIn, 3; got != want {
		t.Errorf("max concurrent requests = %d, want %d", got, want)
	}
	if got, want := len(dirNames(t, dest)), 9; got != want {
		t.Errorf("files = %d, want %d", got, want)
	}
}

// TestCancel checks that cancelling mid-download stops everything and
// leaves no file, not even a temp file.
func TestCancel(t *testing.T) {
	good := newBlob(strings.Repeat("x", 1<<16))
	started := make(chan struct{}, 10)
	srv := newTestServer(t, map[string]http.HandlerFunc{"/slow": func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(good.data)))
		w.Write(good.data[:1000])
		w.(http.Flusher).Flush()
		started <- struct{}{}
		<-r.Context().Done()
	}})
	dest := t.TempDir()
	var items []Item
	for i := range 4 {
		it := item(dest, fmt.Sprintf("c%d.tar", i), good, srv.url("/slow"))
		items = append(items, it)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	err := Fetch(ctx, items, Options{Parallel: 2, Retries: 5})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Fetch = %v, want context.Canceled", err)
	}
	wantDir(t, dest)
}

// TestSharedFile checks that items needing the same file fetch it once,
// from their merged mirrors, and that different hashes are refused.
func TestSharedFile(t *testing.T) {
	good, other := newBlob("shared"), newBlob("other")
	srv := newTestServer(t, map[string]http.HandlerFunc{"/s.tar": serve(good)})
	dest := t.TempDir()
	a := Item{Package: "core-a", Key: "s", File: "s.tar", SHA256: good.sha, Dest: dest, URLs: []string{srv.url("/gone")}}
	b := Item{Package: "core-b", Key: "s", File: "s.tar", SHA256: good.sha, Dest: dest, URLs: []string{srv.url("/s.tar")}}
	if err := Fetch(context.Background(), []Item{b, a}, Options{}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if got := srv.count("/s.tar"); got != 1 {
		t.Errorf("requests = %d, want 1", got)
	}
	wantFile(t, a.Path(), good)

	c := b
	c.Package, c.SHA256 = "core-c", other.sha
	err := Fetch(context.Background(), []Item{a, c}, Options{})
	want := "fetch core-c source s: " + a.Path() + " is also needed by core-a source s with another sha256"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Fetch = %v, want %q", err, want)
	}
}

// TestSharedFileError checks that a shared file's error names every item.
func TestSharedFileError(t *testing.T) {
	good := newBlob("shared")
	dest := t.TempDir()
	dead := deadURL(t)
	a := Item{Package: "core-a", Key: "s", File: "s.tar", SHA256: good.sha, Dest: dest, URLs: []string{dead}}
	b := Item{Package: "core-b", Key: "t", File: "s.tar", SHA256: good.sha, Dest: dest, URLs: []string{dead}}
	err := Fetch(context.Background(), []Item{b, a}, Options{})
	want := "fetch core-a source s (also needed by core-b source t): s.tar: 1 source failed\n    " + dead + ": connection refused"
	if err == nil || err.Error() != want {
		t.Errorf("Fetch = %v\nwant %s", err, want)
	}
}

// TestInvalidItems checks that bad input fails before any request or write.
func TestInvalidItems(t *testing.T) {
	good := newBlob("v")
	srv := newTestServer(t, map[string]http.HandlerFunc{"/v": serve(good)})
	root := t.TempDir()
	ok := item(filepath.Join(root, "d"), "v.tar", good, srv.url("/v"))
	tests := []struct {
		name    string
		edit    func(*Item)
		wantErr string
	}{
		{"slash in name", func(it *Item) { it.File = "x/../v.tar" }, "must not contain a path separator"},
		{"dot dot", func(it *Item) { it.File = ".." }, "must not start with a dot"},
		{"empty name", func(it *Item) { it.File = "" }, "empty file name"},
		{"upper hash", func(it *Item) { it.SHA256 = strings.ToUpper(it.SHA256) }, "want lowercase hex digits"},
		{"short hash", func(it *Item) { it.SHA256 = "abc" }, "want 64 hex digits"},
		{"ftp url", func(it *Item) { it.URLs = []string{"ftp://x/v"} }, `unsupported scheme "ftp"`},
		{"relative file url", func(it *Item) { it.URLs = []string{"file:v.tar"} }, "needs an absolute path"},
		{"no dest", func(it *Item) { it.Dest = "" }, "empty destination directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := ok
			bad.Key = "bad"
			tt.edit(&bad)
			err := Fetch(context.Background(), []Item{ok, bad}, Options{})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Fetch = %v, want %q", err, tt.wantErr)
			}
			if got := srv.total(); got != 0 {
				t.Errorf("requests = %d, want 0", got)
			}
			wantDir(t, root)
		})
	}
}

// TestDeterministicErrors checks that the error text does not depend on
// the input order or on the parallelism.
func TestDeterministicErrors(t *testing.T) {
	srv := newTestServer(t, nil)
	dest := t.TempDir()
	var items []Item
	for _, p := range []string{"core-c", "core-a", "user-b", "core-b", "bootstrap-z"} {
		b := newBlob(p)
		items = append(items, Item{Package: p, Key: "src", File: p + ".tar", SHA256: b.sha, Dest: dest, URLs: []string{srv.url("/" + p)}})
	}
	first := ""
	for i, par := range []int{1, 2, 5, 3} {
		in := append(items[i:], items[:i]...)
		err := Fetch(context.Background(), in, Options{Parallel: par})
		if err == nil {
			t.Fatal("Fetch succeeded, want 404s")
		}
		if first == "" {
			first = err.Error()
			if !strings.HasPrefix(first, "fetch bootstrap-z source src") {
				t.Errorf("first error = %q, want bootstrap-z first", first)
			}
			continue
		}
		if err.Error() != first {
			t.Errorf("parallel %d: error\n%v\nwant\n%v", par, err, first)
		}
	}
}
