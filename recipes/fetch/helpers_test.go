package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
)

// blob is test content with its digest.
type blob struct {
	data []byte
	sha  string
}

func newBlob(s string) blob {
	sum := sha256.Sum256([]byte(s))
	return blob{data: []byte(s), sha: hex.EncodeToString(sum[:])}
}

// testServer is a real HTTP server on 127.0.0.1 that counts requests per
// path and the highest number of requests in flight at once.
type testServer struct {
	*httptest.Server
	mu       sync.Mutex
	hits     map[string]int
	inflight int
	maxIn    int
}

func newTestServer(t *testing.T, routes map[string]http.HandlerFunc) *testServer {
	t.Helper()
	s := &testServer{hits: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.enter(r.URL.Path)
		defer s.leave()
		h, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) enter(path string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hits[path]++
	s.inflight++
	s.maxIn = max(s.maxIn, s.inflight)
}

func (s *testServer) leave() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inflight--
}

func (s *testServer) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *testServer) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, v := range s.hits {
		n += v
	}
	return n
}

func (s *testServer) url(path string) string { return s.URL + path }

// serve answers with b.
func serve(b blob) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { w.Write(b.data) }
}

// deadURL returns a URL on 127.0.0.1 where nothing listens.
func deadURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/dead.tar.gz"
}

// item builds an Item for file name in dest.
func item(dest, file string, b blob, urls ...string) Item {
	return Item{Package: "core-" + file, Key: "src", File: file, SHA256: b.sha, URLs: urls, Dest: dest}
}

// dirNames lists a directory (nil if it does not exist), hidden files
// included, so that leftover temp files fail the test.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// wantDir fails unless dir holds exactly names.
func wantDir(t *testing.T, dir string, names ...string) {
	t.Helper()
	got := dirNames(t, dir)
	if !slices.Equal(got, names) {
		t.Errorf("dir %s holds %q, want %q", dir, got, names)
	}
}

// wantFile fails unless path holds b.
func wantFile(t *testing.T, path string, b blob) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read fetched file: %v", err)
	}
	if string(got) != string(b.data) {
		t.Errorf("file %s = %q, want %q", path, got, b.data)
	}
}

// recorder is a Reporter that keeps every event.
type recorder struct {
	mu     sync.Mutex
	events []Event
}

func (r *recorder) Report(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) kinds() []Kind {
	r.mu.Lock()
	defer r.mu.Unlock()
	var ks []Kind
	for _, e := range r.events {
		if e.Kind != KindProgress {
			ks = append(ks, e.Kind)
		}
	}
	return ks
}
