package assemble

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzAddArchive feeds arbitrary bytes to ADD's archive handling
// (unpackArchive: detection, decompression, checkArchive, BuildKit's
// chrooted untar): it must never panic, and nothing outside the
// destination root may change, whatever the archive holds.
func FuzzAddArchive(f *testing.F) {
	if os.Geteuid() != 0 {
		f.Skip("untar into a chroot needs root")
	}
	for _, p := range []string{"../examples/mirror/seed-1.0.tar.gz", "../examples/mirror/hello-2.1.0.tar.xz"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	hostile := [][]*tar.Header{
		{{Name: "a/../../escaped", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}},
		{{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../canary/keep"}},
		{{Name: "out", Typeflag: tar.TypeSymlink, Linkname: "/canary"}, {Name: "out/keep", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}},
		{{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755}, {Name: "d/.wh..wh..opq", Typeflag: tar.TypeReg}, {Name: ".wh.d", Typeflag: tar.TypeReg}},
	}
	for _, h := range hostile {
		raw := tarOf(f, h...)
		f.Add(raw)
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		w.Write(raw)
		w.Close()
		f.Add(gz.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		root := t.TempDir()
		src, dest, canary := filepath.Join(root, "src"), filepath.Join(root, "dest"), filepath.Join(root, "canary")
		for _, d := range []string{src, dest, canary} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.WriteFile(filepath.Join(canary, "keep"), []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, "a"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		unpackArchive(src, "/a", dest, "/out/", nil, nil)
		entries, _ := os.ReadDir(root)
		canaries, _ := os.ReadDir(canary)
		srcs, _ := os.ReadDir(src)
		keep, _ := os.ReadFile(filepath.Join(canary, "keep"))
		if len(entries) != 3 || len(canaries) != 1 || len(srcs) != 1 || string(keep) != "keep" {
			t.Fatalf("ADD of this archive changed files outside its destination: root %v, canary %v %q, src %v", entries, canaries, keep, srcs)
		}
	})
}
