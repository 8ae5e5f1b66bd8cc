package layers

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// writeTestLayer makes a second layer (a whiteout and a new file) with
// CommitLayer into a blobs dir; CommitLayer must agree with WriteLayer.
func writeTestLayer(t *testing.T) (*Layer, result) {
	t.Helper()
	s := newStack(t)
	s.step(func(root string) { writeFile(t, filepath.Join(root, "etc/motd"), "hello\n", 0o644) })
	r := s.step(func(root string) {
		writeFile(t, filepath.Join(root, "etc/motd"), "bye\n", 0o644)
		mustOK(t, os.Remove(filepath.Join(root, "etc/motd")))
		writeFile(t, filepath.Join(root, "etc/issue"), "x\n", 0o644)
	})
	blobs := filepath.Join(s.root, "blobs")
	mustOK(t, os.Mkdir(blobs, 0o755))
	l, err := CommitLayer(context.Background(), blobs, s.lowers[:len(s.lowers)-1], r.upper, s.epoch)
	if err != nil {
		t.Fatal(err)
	}
	return l, r
}

func TestLayerFile(t *testing.T) {
	l, r := writeTestLayer(t)
	if l.Blob() != r.blob {
		t.Errorf("WriteLayerFile blob %+v, WriteLayer %+v", l.Blob(), r.blob)
	}
	if got, want := filepath.Base(l.Path()), r.blob.Digest.Hex; got != want {
		t.Errorf("file name %s, want the digest hex %s", got, want)
	}
	data, err := os.ReadFile(l.Path())
	mustOK(t, err)
	if !bytes.Equal(data, r.gz) {
		t.Error("file content differs from WriteLayer's stream")
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(l.Path()), ".layer-*")); len(left) != 0 {
		t.Errorf("temp files left: %v", left)
	}
	if err := validate.Layer(l); err != nil {
		t.Errorf("validate.Layer: %v", err)
	}
	if mt, _ := l.MediaType(); mt != types.OCILayer {
		t.Errorf("media type %s, want %s", mt, types.OCILayer)
	}
}

// TestLayerReadsVerify corrupts the file after opening: both readers must
// fail at the end instead of returning io.EOF.
func TestLayerReadsVerify(t *testing.T) {
	l, _ := writeTestLayer(t)
	data, err := os.ReadFile(l.Path())
	mustOK(t, err)
	cases := []struct {
		name   string
		mutate func([]byte) []byte
	}{
		{"flipped payload byte", func(b []byte) []byte { b[20] ^= 1; return b }},
		{"truncated", func(b []byte) []byte { return b[:len(b)-1] }},
		{"appended", func(b []byte) []byte { return append(b, 0) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustOK(t, os.WriteFile(l.Path(), tc.mutate(bytes.Clone(data)), 0o644))
			defer os.WriteFile(l.Path(), data, 0o644)
			for name, open := range map[string]func() (io.ReadCloser, error){"Compressed": l.Compressed, "Uncompressed": l.Uncompressed} {
				rc, err := open()
				if err == nil {
					_, err = io.Copy(io.Discard, rc)
					rc.Close()
				}
				if err == nil {
					t.Errorf("%s read of a corrupt blob succeeded", name)
				} else if name == "Compressed" && !strings.Contains(err.Error(), "verify blob") {
					t.Errorf("%s: err = %v, want a verification error", name, err)
				}
			}
		})
	}
}

func TestOpenLayerChecksSize(t *testing.T) {
	l, r := writeTestLayer(t)
	b := r.blob
	b.Size++
	if _, err := OpenLayer(l.Path(), b); err == nil {
		t.Error("OpenLayer accepted a wrong size")
	}
}
