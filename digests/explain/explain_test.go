package explain_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/digests/explain"
	"github.com/stevedore-build/stevedore/oci/transport/transporttest"
)

// key is what a test asserts about a difference: where and which field.
type key struct {
	Level explain.Level
	Entry string // tar entry name, "" outside tars
	Field string
}

func keys(res *explain.Result) []key {
	out := []key{}
	for _, d := range res.Differences {
		k := key{Level: d.Level, Field: d.Field}
		if _, entry, ok := strings.Cut(d.Path, ":"); ok {
			k.Entry = entry
		}
		out = append(out, k)
	}
	return out
}

// variant describes image B relative to the default image A.
type variant struct {
	entries  func([]transporttest.Entry) []transporttest.Entry
	level    int
	gzHeader gzip.Header
	spec     func(*transporttest.Spec)
}

func defaultLayer(t *testing.T, v variant) []byte {
	es := transporttest.DefaultEntries()
	if v.entries != nil {
		es = v.entries(es)
	}
	level := gzip.DefaultCompression
	if v.level != 0 {
		level = v.level
	}
	return transporttest.Gzip(t, transporttest.Tar(t, es), level, v.gzHeader)
}

func writeVariant(t *testing.T, v variant) string {
	dir := t.TempDir()
	s := transporttest.Spec{Layers: [][]byte{defaultLayer(t, v)}, Tag: "latest"}
	if v.spec != nil {
		v.spec(&s)
	}
	transporttest.WriteLayout(t, dir, s)
	return dir
}

func setHdr(name string, f func(h *tar.Header)) func([]transporttest.Entry) []transporttest.Entry {
	return func(es []transporttest.Entry) []transporttest.Entry {
		for i := range es {
			if es[i].Header.Name == name {
				f(&es[i].Header)
			}
		}
		return es
	}
}

// withSymlink adds a symlink entry.
func withSymlink(name, target string) func([]transporttest.Entry) []transporttest.Entry {
	return func(es []transporttest.Entry) []transporttest.Entry {
		return append(es, transporttest.Symlink(name, target))
	}
}

// emptyAs makes entry name empty and of type typ.
func emptyAs(name string, typ byte) func([]transporttest.Entry) []transporttest.Entry {
	return func(es []transporttest.Entry) []transporttest.Entry {
		for i := range es {
			if es[i].Header.Name == name {
				es[i].Body, es[i].Header.Size, es[i].Header.Typeflag = "", 0, typ
			}
		}
		return es
	}
}

func TestImagesOneDifference(t *testing.T) {
	tests := []struct {
		name string
		a, b variant // a defaults to the default image
		want []key
	}{
		{"identical", variant{}, variant{}, []key{}},
		{"mtime", variant{}, variant{entries: setHdr("etc/b.txt", func(h *tar.Header) { h.ModTime = time.Unix(1700000000, 0) })},
			[]key{{explain.LevelTar, "etc/b.txt", "mtime"}}},
		{"mode", variant{}, variant{entries: setHdr("etc/b.txt", func(h *tar.Header) { h.Mode = 0o755 })},
			[]key{{explain.LevelTar, "etc/b.txt", "mode"}}},
		{"owner", variant{}, variant{entries: setHdr("etc/b.txt", func(h *tar.Header) { h.Uid = 1000 })},
			[]key{{explain.LevelTar, "etc/b.txt", "uid"}}},
		{"xattr", variant{}, variant{entries: setHdr("etc/b.txt", func(h *tar.Header) {
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}
		})}, []key{{explain.LevelTar, "etc/b.txt", "xattr.security.capability"}}},
		{"pax record", variant{}, variant{entries: setHdr("etc/b.txt", func(h *tar.Header) {
			h.PAXRecords = map[string]string{"comment": "hello"}
		})}, []key{{explain.LevelTar, "etc/b.txt", "pax.comment"}}},
		{"order", variant{}, variant{entries: func(es []transporttest.Entry) []transporttest.Entry {
			es[2], es[3] = es[3], es[2]
			return es
		}}, []key{{explain.LevelTar, "etc/b.txt", "order"}}},
		{"content", variant{}, variant{entries: func(es []transporttest.Entry) []transporttest.Entry {
			es[2].Body = "bravo\nline 2!!\n"
			return es
		}}, []key{{explain.LevelTar, "etc/b.txt", "content"}}},
		{"size", variant{}, variant{entries: func(es []transporttest.Entry) []transporttest.Entry {
			es[2].Body += "more\n"
			es[2].Header.Size = int64(len(es[2].Body))
			return es
		}}, []key{{explain.LevelTar, "etc/b.txt", "size"}, {explain.LevelTar, "etc/b.txt", "content"}}},
		{name: "link target",
			a:    variant{entries: withSymlink("etc/l", "a.txt")},
			b:    variant{entries: withSymlink("etc/l", "b.txt")},
			want: []key{{explain.LevelTar, "etc/l", "link target"}}},
		{name: "type",
			a:    variant{entries: emptyAs("etc/c.txt", tar.TypeReg)},
			b:    variant{entries: emptyAs("etc/c.txt", tar.TypeFifo)},
			want: []key{{explain.LevelTar, "etc/c.txt", "type"}}},
		{"missing entry", variant{}, variant{entries: func(es []transporttest.Entry) []transporttest.Entry { return es[:3] }},
			[]key{{explain.LevelTar, "etc/c.txt", "entry"}}},
		{"gzip header", variant{}, variant{gzHeader: gzip.Header{ModTime: time.Unix(1234, 0)}},
			[]key{{explain.LevelGzip, "", "header.mtime"}}},
		{"gzip level", variant{}, variant{level: gzip.HuffmanOnly},
			[]key{{explain.LevelGzip, "", "level"}}},
		{"config field", variant{}, variant{spec: func(s *transporttest.Spec) {
			s.Config = func(c *v1.ConfigFile) { c.Config.User = "1000:1000" }
		}}, []key{{explain.LevelConfig, "", "config.User"}}},
		{"history entry", variant{}, variant{spec: func(s *transporttest.Spec) {
			s.Config = func(c *v1.ConfigFile) { c.History[0].CreatedBy = "COPY other / # buildkit" }
		}}, []key{{explain.LevelConfig, "", "history[0].created_by"}}},
		{"manifest annotation", variant{}, variant{spec: func(s *transporttest.Spec) {
			s.ManifestAnnotations = map[string]string{"org.opencontainers.image.version": "1.2"}
		}}, []key{{explain.LevelManifest, "", `annotations["org.opencontainers.image.version"]`}}},
		{"index annotation", variant{}, variant{spec: func(s *transporttest.Spec) {
			s.IndexAnnotations = map[string]string{"org.example": "x"}
		}}, []key{{explain.LevelIndexJSON, "", `annotations["org.example"]`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			a, b := writeVariant(t, tt.a), writeVariant(t, tt.b)
			res, err := explain.Refs(context.Background(), a, b, "", explain.Options{})
			if err != nil {
				t.Fatalf("Refs: %v", err)
			}
			t.Log(res)
			if diff := cmp.Diff(want, keys(res)); diff != "" {
				t.Errorf("differences (-want +got):\n%s\n%s", diff, res)
			}
			if got, wantID := res.Identical, len(want) == 0; got != wantID {
				t.Errorf("Identical = %v, want %v", got, wantID)
			}
		})
	}
}

func TestImagesContentShowsFirstLine(t *testing.T) {
	a := writeVariant(t, variant{})
	b := writeVariant(t, variant{entries: func(es []transporttest.Entry) []transporttest.Entry {
		es[2].Body = "bravo\nline 2!!\n"
		return es
	}})
	res, err := explain.Refs(context.Background(), a, b, "", explain.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Differences) != 1 {
		t.Fatalf("got %d differences, want 1:\n%s", len(res.Differences), res)
	}
	d := res.Differences[0]
	for _, want := range []string{`line 2: "line two\n"`, "sha256:"} {
		if !strings.Contains(d.A, want) {
			t.Errorf("A = %q, want it to contain %q", d.A, want)
		}
	}
	if !strings.Contains(d.B, `line 2: "line 2!!\n"`) {
		t.Errorf("B = %q, want the differing line", d.B)
	}
}

func TestImagesCorruptLayerIsNamed(t *testing.T) {
	a := writeVariant(t, variant{})
	b := t.TempDir()
	img := transporttest.WriteLayout(t, b, transporttest.Spec{Layers: [][]byte{defaultLayer(t, variant{})}, Tag: "latest"})
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	h, err := ls[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	p := transporttest.BlobPath(b, h)
	blob, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	blob[len(blob)-5] ^= 0xff // inside the gzip trailer: the tar still reads
	if err := os.WriteFile(p, blob, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = explain.Refs(context.Background(), a, b, "", explain.Options{})
	if err == nil || !strings.Contains(err.Error(), h.String()) {
		t.Fatalf("Refs error = %v, want one naming blob %s", err, h)
	}
}

func TestResultText(t *testing.T) {
	r := &explain.Result{A: "a", B: "b", Differences: []explain.Difference{
		{Level: explain.LevelTar, Path: "layers[0]:etc/b.txt", Field: "mode", A: "0644", B: "0755"}}}
	var buf bytes.Buffer
	if err := r.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"etc/b.txt", "mode", "a=0644", "b=0755"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text %q lacks %q", buf.String(), want)
		}
	}
}
