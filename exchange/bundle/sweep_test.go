package bundle

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUnpackSweepsKilledTemps: the partial image and source an unbundle
// killed before its renames left in out/ and fetch/ are removed by the
// next unbundle.
func TestUnpackSweepsKilledTemps(t *testing.T) {
	tree, spec := newTree(t)
	file := filepath.Join(t.TempDir(), "b.bundle")
	if _, err := Create(tree, spec, file); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	deadImage := filepath.Join(dst, "out", ".core-base.tmp-1")
	deadSource := filepath.Join(dst, "fetch", "core", "box", ".box.tmp-2")
	writeTreeFile(t, dst, "out/.core-base.tmp-1/blobs/sha256/x", []byte("partial"))
	writeTreeFile(t, dst, "fetch/core/box/.box.tmp-2", []byte("partial"))
	if _, err := Unpack(file, dst); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{deadImage, deadSource} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there: %v", p, err)
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(dst, "out")); len(entries) != 1 {
		t.Errorf("out/ holds %v, want core-base only", entries)
	}
}
