package bundle

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// newTree writes a tree with two fetched sources and one out/ image and
// returns it with the Spec that bundles them.
func newTree(t testing.TB) (string, Spec) {
	t.Helper()
	tree := t.TempDir()
	blob := []byte(`{"layer":1}`)
	files := map[string][]byte{
		"fetch/core/hello/hello-1.0.tar.gz":          []byte("hello source"),
		"fetch/core/box/box":                         []byte("box binary"),
		"out/core-base/oci-layout":                   []byte(`{"imageLayoutVersion":"1.0.0"}`),
		"out/core-base/index.json":                   []byte(`{"schemaVersion":2}`),
		"out/core-base/blobs/sha256/" + hexSum(blob): blob,
	}
	for p, b := range files {
		writeTreeFile(t, tree, p, b)
	}
	spec := Spec{Targets: []string{"core-hello"}, Images: []string{"core-base"}}
	for _, p := range []string{"fetch/core/box/box", "fetch/core/hello/hello-1.0.tar.gz"} {
		spec.Sources = append(spec.Sources, Source{Path: p, SHA256: hexSum(files[p])})
	}
	return tree, spec
}

func writeTreeFile(t testing.TB, tree, rel string, b []byte) {
	t.Helper()
	p := filepath.Join(tree, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// treeFiles maps every file under tree to its content.
func treeFiles(t *testing.T, tree string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(tree, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			rel, _ := filepath.Rel(tree, p)
			b, _ := os.ReadFile(p)
			out[filepath.ToSlash(rel)] = string(b)
		}
		return nil
	})
	return out
}

func TestRoundTrip(t *testing.T) {
	tree, spec := newTree(t)
	file := filepath.Join(t.TempDir(), "b.bundle")
	if _, err := Create(tree, spec, file); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	rep, err := Unpack(file, dst)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sources != 2 || rep.Images != 1 {
		t.Errorf("report %+v, want 2 sources, 1 image", rep)
	}
	if diff := cmp.Diff(treeFiles(t, tree), treeFiles(t, dst)); diff != "" {
		t.Errorf("unpacked tree (-original +unpacked):\n%s", diff)
	}
	rep, err = Unpack(file, dst) // again: everything already present
	if err != nil || rep.SkippedSources != 2 || rep.SkippedImages != 1 {
		t.Errorf("second unpack: %+v, %v; want everything skipped", rep, err)
	}
}

func TestCreateRefuses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(tree string, s *Spec)
		want   string
	}{
		{"source hash", func(tree string, s *Spec) { s.Sources[0].SHA256 = strings.Repeat("0", 64) }, "package.toml pins"},
		{"missing source", func(tree string, s *Spec) { os.Remove(filepath.Join(tree, "fetch/core/box/box")) }, "run stevedore fetch first"},
		{"unbuilt image", func(tree string, s *Spec) { s.Images = append(s.Images, "core-other") }, "core-other is not built"},
		{"corrupt blob", func(tree string, s *Spec) {
			matches, _ := filepath.Glob(filepath.Join(tree, "out/core-base/blobs/sha256/*"))
			os.WriteFile(matches[0], []byte("bad"), 0o644)
		}, "is corrupt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, spec := newTree(t)
			tc.mutate(tree, &spec)
			out := t.TempDir()
			_, err := Create(tree, spec, filepath.Join(out, "b.bundle"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if left, _ := os.ReadDir(out); len(left) != 0 {
				t.Errorf("left behind: %v", left)
			}
		})
	}
}
