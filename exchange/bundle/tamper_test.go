package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// entry is one member of a rewritten bundle.
type entry struct {
	name string
	data []byte
}

// readEntries returns every member of a bundle.
func readEntries(t *testing.T, file string) []entry {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	var out []entry
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		out = append(out, entry{hdr.Name, b})
	}
}

func writeEntries(t *testing.T, file string, es []entry) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range es {
		tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Size: int64(len(e.data)), Mode: 0o644})
		tw.Write(e.data)
	}
	tw.Close()
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// editManifest rewrites the manifest entry through f.
func editManifest(t *testing.T, es []entry, f func(m *Manifest)) {
	t.Helper()
	var m Manifest
	if err := json.Unmarshal(es[0].data, &m); err != nil {
		t.Fatal(err)
	}
	f(&m)
	es[0].data, _ = json.Marshal(m)
}

// TestTamperedBundleRefused: each kind of damage is refused, naming the
// member, and the destination tree stays empty.
func TestTamperedBundleRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tamper func(t *testing.T, es []entry) []entry
		want   string
	}{
		{"flipped byte", func(t *testing.T, es []entry) []entry { es[2].data[0] ^= 1; return es }, "member fetch/core/hello/hello-1.0.tar.gz is corrupt"},
		{"truncated", func(t *testing.T, es []entry) []entry { return es[:len(es)-1] }, "is missing"},
		{"extra member", func(t *testing.T, es []entry) []entry { return append(es, entry{"fetch/x/y/z", []byte("z")}) }, "member fetch/x/y/z is not in the manifest"},
		{"escaping path", func(t *testing.T, es []entry) []entry {
			es[1].name = "fetch/../../etc/passwd"
			editManifest(t, es, func(m *Manifest) { m.Members[0].Path = es[1].name })
			return es
		}, "path is not clean"},
		{"not under fetch or out", func(t *testing.T, es []entry) []entry {
			es[1].name = "packages/core/box/Containerfile"
			editManifest(t, es, func(m *Manifest) { m.Members[0].Path = es[1].name })
			return es
		}, "not under fetch/"},
		{"blob named wrongly", func(t *testing.T, es []entry) []entry {
			last := len(es) - 1
			es[last].data = []byte("other")
			editManifest(t, es, func(m *Manifest) { m.Members[last-1].SHA256 = hexSum(es[last].data) })
			return es
		}, "hashes to"},
		{"reordered", func(t *testing.T, es []entry) []entry { es[1], es[2] = es[2], es[1]; return es }, "in its place"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, spec := newTree(t)
			file := filepath.Join(t.TempDir(), "b.bundle")
			if _, err := Create(tree, spec, file); err != nil {
				t.Fatal(err)
			}
			writeEntries(t, file, tc.tamper(t, readEntries(t, file)))
			dst := t.TempDir()
			_, err := Unpack(file, dst)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if left, _ := os.ReadDir(dst); len(left) != 0 {
				t.Errorf("something was unpacked: %v", left)
			}
		})
	}
}

// TestConflictRefused: a fetch/ file or out/ image that exists with other
// content stops the unpack before anything is written.
func TestConflictRefused(t *testing.T) {
	for _, tc := range []struct{ rel, want string }{
		{"fetch/core/box/box", "fetch/core/box/box exists with other content"},
		{"out/core-base/index.json", "out/core-base exists and holds another image"},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			tree, spec := newTree(t)
			file := filepath.Join(t.TempDir(), "b.bundle")
			if _, err := Create(tree, spec, file); err != nil {
				t.Fatal(err)
			}
			dst := t.TempDir()
			writeTreeFile(t, dst, tc.rel, []byte("mine"))
			_, err := Unpack(file, dst)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if got := treeFiles(t, dst); len(got) != 1 {
				t.Errorf("tree now has %v, want only %s", got, tc.rel)
			}
		})
	}
}

// A signed bundle carries its signatures after the manifest; the trust
// function sees exactly the manifest's bytes and them, and when it refuses,
// nothing is written. A bundle rewritten with a consistent manifest loses
// the signatures' agreement with it.
func TestSignedBundle(t *testing.T) {
	tree, spec := newTree(t)
	file := filepath.Join(t.TempDir(), "b.bundle")
	var signedManifest []byte
	sign := func(m []byte) ([][]byte, error) {
		signedManifest = append([]byte(nil), m...)
		return [][]byte{[]byte("sig one"), []byte("sig two")}, nil
	}
	if _, err := CreateSigned(tree, spec, file, sign); err != nil {
		t.Fatal(err)
	}
	_, s, err := VerifySigned(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Manifest, signedManifest) || len(s.Signatures) != 2 || string(s.Signatures[1]) != "sig two" {
		t.Fatalf("VerifySigned = %q, %q", s.Manifest, s.Signatures)
	}
	dest := t.TempDir()
	refuse := func(Signed) error { return os.ErrPermission }
	if _, err := UnpackTrusted(file, dest, refuse); err == nil {
		t.Fatal("UnpackTrusted with a refusing trust function succeeded")
	}
	if entries, _ := os.ReadDir(dest); len(entries) != 0 {
		t.Errorf("a refused bundle wrote %d entries", len(entries))
	}
	// Replace a member and its manifest entry consistently: the bundle
	// still matches its own manifest, but not what was signed.
	es := readEntries(t, file)
	for i := range es {
		if strings.HasPrefix(es[i].name, "fetch/") {
			es[i].data = []byte("evil source\n")
			break
		}
	}
	editManifest(t, es, func(m *Manifest) {
		for i, mb := range m.Members {
			if strings.HasPrefix(mb.Path, "fetch/") {
				sum := sha256.Sum256([]byte("evil source\n"))
				m.Members[i].SHA256, m.Members[i].Size = hex.EncodeToString(sum[:]), int64(len("evil source\n"))
				break
			}
		}
	})
	writeEntries(t, file, es)
	_, s2, err := VerifySigned(file)
	if err != nil {
		t.Fatalf("a consistently rewritten bundle: %v", err)
	}
	if bytes.Equal(s2.Manifest, signedManifest) {
		t.Error("the rewritten manifest equals the signed one")
	}
	if _, err := UnpackTrusted(file, dest, func(s Signed) error {
		if !bytes.Equal(s.Manifest, signedManifest) {
			return os.ErrPermission
		}
		return nil
	}); err == nil {
		t.Error("a bundle whose manifest no longer matches its signature was unpacked")
	}
}
