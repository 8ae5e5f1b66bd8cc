package bundle

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzBundle feeds arbitrary bytes to Verify and Unpack as a bundle file:
// neither may panic; a bundle Verify refuses must leave the tree
// untouched; one Unpack accepts must write only what its manifest lists,
// each file with its listed hash.
func FuzzBundle(f *testing.F) {
	tree, spec := newTree(f)
	good := filepath.Join(f.TempDir(), "good.bundle")
	if _, err := Create(tree, spec, good); err != nil {
		f.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add(data[:len(data)/2])
	var evil bytes.Buffer
	tw := tar.NewWriter(&evil)
	manifest := []byte(`{"version":1,"targets":["core-x"],"images":[],"members":[{"path":"fetch/core/x/../../../escape","sha256":"` + hexSum(nil) + `","size":0}]}`)
	tw.WriteHeader(&tar.Header{Name: ManifestName, Typeflag: tar.TypeReg, Size: int64(len(manifest)), Mode: 0o644})
	tw.Write(manifest)
	tw.WriteHeader(&tar.Header{Name: "fetch/core/x/../../../escape", Typeflag: tar.TypeReg, Mode: 0o644})
	tw.Close()
	f.Add(evil.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		file := filepath.Join(dir, "x.bundle")
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tree := filepath.Join(dir, "tree")
		if err := os.Mkdir(tree, 0o755); err != nil {
			t.Fatal(err)
		}
		var m *Manifest
		var rep Report
		var verr, uerr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			m, verr = Verify(file)
			rep, uerr = Unpack(file, tree)
		}()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("Verify or Unpack still runs after 5 s on a %d-byte bundle", len(data))
		}
		got := treeFiles(t, tree)
		if verr != nil && uerr == nil {
			t.Fatalf("Unpack accepted a bundle Verify refuses: %v", verr)
		}
		if uerr != nil {
			if len(got) != 0 {
				t.Fatalf("a refused bundle (%v) wrote %v", uerr, got)
			}
			return
		}
		want := map[string]string{}
		for _, mb := range m.Members {
			want[mb.Path] = mb.SHA256
		}
		for p, content := range got {
			if h, ok := want[p]; !ok || hexSum([]byte(content)) != h {
				t.Fatalf("Unpack wrote %s (listed: %v), manifest %+v, report %+v", p, ok, m, rep)
			}
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 2 {
			t.Fatalf("Unpack wrote next to the tree: %v", entries)
		}
	})
}
