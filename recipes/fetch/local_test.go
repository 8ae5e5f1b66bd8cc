package fetch

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOfflineEmptyCache checks that offline mode makes no request and names
// every missing file, with package, key, file and expected path, in one error.
func TestOfflineEmptyCache(t *testing.T) {
	a, b, c := newBlob("a"), newBlob("b"), newBlob("c")
	srv := newTestServer(t, map[string]http.HandlerFunc{"/a": serve(a), "/b": serve(b), "/c": serve(c)})
	root := t.TempDir()
	items := []Item{
		item(filepath.Join(root, "core", "c"), "c.tar", c, srv.url("/c")),
		item(filepath.Join(root, "core", "a"), "a.tar", a, srv.url("/a")),
		item(filepath.Join(root, "user", "b"), "b.tar", b, srv.url("/b")),
	}
	mirror := t.TempDir()
	err := Fetch(context.Background(), items, Options{Offline: true, MirrorDirs: []string{mirror}})
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("Fetch = %v, want a *MissingError", err)
	}
	if got, want := len(me.Sources), 3; got != want {
		t.Fatalf("missing = %d, want %d", got, want)
	}
	for i, name := range []string{"a.tar", "b.tar", "c.tar"} { // sorted by package
		if got := me.Sources[i].File; got != name {
			t.Errorf("missing[%d] = %s, want %s", i, got, name)
		}
	}
	if want := "mirror dirs searched: " + mirror; !strings.Contains(err.Error(), want) {
		t.Errorf("error does not contain %q:\n%v", want, err)
	}
	for _, it := range items {
		want := it.Package + " source src: " + it.File + " at " + it.Path() + " (from " + it.URLs[0] + ")"
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not contain %q:\n%v", want, err)
		}
	}
	if got := srv.total(); got != 0 {
		t.Errorf("offline made %d requests, want 0", got)
	}
	wantDir(t, root)
}

// TestOfflinePresent checks that a present, good file satisfies offline mode.
func TestOfflinePresent(t *testing.T) {
	b := newBlob("present")
	dest := t.TempDir()
	writeFile(t, filepath.Join(dest, "p.tar"), b.data, 0o644)
	rec := &recorder{}
	it := item(dest, "p.tar", b, "http://127.0.0.1:1/never")
	if err := Fetch(context.Background(), []Item{it}, Options{Offline: true, Reporter: rec}); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	wantFile(t, it.Path(), b)
	wantKinds(t, rec, KindBegin, KindSkipped, KindEnd)
}

// TestMirrorDir covers the air-gapped mirror folder: both layouts, hard
// links, copies of files with another mode, and corrupt copies.
func TestMirrorDir(t *testing.T) {
	good, bad := newBlob("mirror good"), newBlob("mirror corrupt")
	tests := []struct {
		name     string
		rel      string // where the mirror holds the file
		content  blob
		mode     os.FileMode
		offline  bool
		wantOK   bool
		wantLink bool
		wantHits int
		wantErr  []string
	}{
		{name: "flat, linked", rel: "m.tar", content: good, mode: 0o644, offline: true, wantOK: true, wantLink: true},
		{name: "fetch tree layout", rel: "core/m/m.tar", content: good, mode: 0o644, offline: true, wantOK: true, wantLink: true},
		{name: "other mode is copied", rel: "m.tar", content: good, mode: 0o600, offline: true, wantOK: true},
		{name: "corrupt offline", rel: "m.tar", content: bad, mode: 0o644, offline: true,
			wantErr: []string{"m.tar: sha256 mismatch: got " + bad.sha + ", want " + good.sha}},
		{name: "corrupt copy refused, network used", rel: "m.tar", content: bad, mode: 0o600, wantOK: true, wantHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, map[string]http.HandlerFunc{"/m.tar": serve(good)})
			mirror, root := t.TempDir(), t.TempDir()
			src := filepath.Join(mirror, tt.rel)
			writeFile(t, src, tt.content.data, tt.mode)
			dest := filepath.Join(root, "core", "m")
			it := item(dest, "m.tar", good, srv.url("/m.tar"))
			err := Fetch(context.Background(), []Item{it}, Options{Offline: tt.offline, MirrorDirs: []string{mirror}})
			if got := srv.total(); got != tt.wantHits {
				t.Errorf("requests = %d, want %d", got, tt.wantHits)
			}
			if !tt.wantOK {
				for _, w := range append(tt.wantErr, src) {
					if err == nil || !strings.Contains(err.Error(), w) {
						t.Errorf("error does not contain %q:\n%v", w, err)
					}
				}
				wantDir(t, dest)
				return
			}
			if err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			wantFile(t, it.Path(), good)
			wantDir(t, dest, "m.tar")
			if got := sameFile(t, src, it.Path()); got != tt.wantLink {
				t.Errorf("hard-linked = %v, want %v", got, tt.wantLink)
			}
			wantMode(t, it.Path(), 0o644)
		})
	}
}

// TestExistingFile checks re-verification of a present file: a good one is
// not touched and costs no request; a bad one is replaced.
func TestExistingFile(t *testing.T) {
	good := newBlob("existing good")
	tests := []struct {
		name     string
		present  []byte
		wantHits int
	}{
		{name: "good file kept", present: good.data, wantHits: 0},
		{name: "bad file replaced", present: []byte("rotten"), wantHits: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newTestServer(t, map[string]http.HandlerFunc{"/e.tar": serve(good)})
			dest := t.TempDir()
			it := item(dest, "e.tar", good, srv.url("/e.tar"))
			writeFile(t, it.Path(), tt.present, 0o644)
			old := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC) // inode numbers get reused; times do not
			if err := os.Chtimes(it.Path(), old, old); err != nil {
				t.Fatal(err)
			}
			if err := Fetch(context.Background(), []Item{it}, Options{}); err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if got := srv.count("/e.tar"); got != tt.wantHits {
				t.Errorf("requests = %d, want %d", got, tt.wantHits)
			}
			wantFile(t, it.Path(), good)
			wantDir(t, dest, "e.tar")
			after, _ := os.Stat(it.Path())
			if got, want := after.ModTime().Equal(old), tt.wantHits == 0; got != want {
				t.Errorf("file untouched = %v, want %v", got, want)
			}
		})
	}
}

// TestExistingBadFileNotReplaceable checks that a bad present file is
// removed, and reported, even when no source can replace it.
func TestExistingBadFileNotReplaceable(t *testing.T) {
	good := newBlob("wanted")
	dest := t.TempDir()
	it := item(dest, "x.tar", good, deadURL(t))
	writeFile(t, it.Path(), []byte("rotten"), 0o644)
	err := Fetch(context.Background(), []Item{it}, Options{})
	if err == nil || !strings.Contains(err.Error(), it.Path()+": present file removed: sha256 mismatch") {
		t.Errorf("Fetch = %v, want the removed present file named", err)
	}
	wantDir(t, dest)
}

// TestFileURL checks file:// mirrors, also in offline mode.
func TestFileURL(t *testing.T) {
	good := newBlob("from a file url")
	srcDir := t.TempDir()
	writeFile(t, filepath.Join(srcDir, "f.tar"), good.data, 0o644)
	missing := "file://" + filepath.Join(srcDir, "nope.tar")
	for _, offline := range []bool{false, true} {
		dest := t.TempDir()
		it := item(dest, "f.tar", good, missing, "file://"+filepath.Join(srcDir, "f.tar"))
		if err := Fetch(context.Background(), []Item{it}, Options{Offline: offline}); err != nil {
			t.Fatalf("Fetch(offline=%v): %v", offline, err)
		}
		wantFile(t, it.Path(), good)
		wantDir(t, dest, "f.tar")
	}
	dest := t.TempDir()
	err := Fetch(context.Background(), []Item{item(dest, "f.tar", good, missing)}, Options{})
	if err == nil || !strings.Contains(err.Error(), missing+": no such file") {
		t.Errorf("Fetch = %v, want %s: no such file", err, missing)
	}
	wantDir(t, dest)
}

func writeFile(t *testing.T, path string, data []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func sameFile(t *testing.T, a, b string) bool {
	t.Helper()
	ai, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	bi, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(ai, bi)
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("mode of %s = %v, want %v", path, got, want)
	}
}

func wantKinds(t *testing.T, rec *recorder, want ...Kind) {
	t.Helper()
	got := rec.kinds()
	if len(got) != len(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("events = %v, want %v", got, want)
		}
	}
}

// TestDirectoryInTheWay checks that a directory at the file's path is
// reported, not removed.
func TestDirectoryInTheWay(t *testing.T) {
	good := newBlob("d")
	dest := t.TempDir()
	it := item(dest, "d.tar", good, deadURL(t))
	if err := os.Mkdir(it.Path(), 0o755); err != nil {
		t.Fatal(err)
	}
	err := Fetch(context.Background(), []Item{it}, Options{})
	if err == nil || !strings.Contains(err.Error(), it.Path()+" is a directory") {
		t.Errorf("Fetch = %v, want the directory named", err)
	}
	wantDir(t, dest, "d.tar")
}
