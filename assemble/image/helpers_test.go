package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/layers"
)

func hashBytes(b []byte) v1.Hash {
	s := sha256.Sum256(b)
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(s[:])}
}

// makeLayer writes a one-file gzip layer into dir with the given mode and
// returns it as a new Layer.
func makeLayer(t *testing.T, dir, name, content string, mode os.FileMode) Layer {
	t.Helper()
	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var gb bytes.Buffer
	zw := gzip.NewWriter(&gb)
	zw.Write(tb.Bytes())
	zw.Close()
	h := hashBytes(gb.Bytes())
	p := filepath.Join(dir, h.Hex)
	if err := os.WriteFile(p, gb.Bytes(), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return Layer{Path: p, Blob: layers.Blob{Digest: h, Size: int64(gb.Len()), DiffID: hashBytes(tb.Bytes())}, New: true}
}

// testImage assembles a two-layer FROM scratch image whose layer blobs
// live in dir.
func testImage(t *testing.T, dir string, platform ocispec.Platform, content string) *Assembled {
	t.Helper()
	l1 := makeLayer(t, dir, "a.txt", "a "+content, 0o444)
	l2 := makeLayer(t, dir, "b.txt", "b "+content, 0o644)
	cfg := EmptyImage(platform)
	cfg.History = []ocispec.History{
		hist("COPY a.txt / # buildkit", true, epoch1),
		hist("COPY b.txt / # buildkit", true, epoch1),
		hist(`ENTRYPOINT ["/bin/sh"]`, false, epoch1),
	}
	cfg.Config.Entrypoint = []string{"/bin/sh"}
	img, err := Assemble(Input{Config: cfg, Layers: []Layer{l1, l2}, Platform: platform}, StageXExport(epoch1, "core-test", "1.0"))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

var amd64 = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// readTree returns every file of a layout with its content and mode.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if fi.IsDir() {
			out[rel+"/"] = fi.Mode().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = fi.Mode().String() + " " + string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func digestOf(h v1.Hash) digest.Digest { return digest.Digest(h.String()) }
