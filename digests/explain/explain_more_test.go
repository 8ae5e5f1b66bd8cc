package explain_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/stevedore-build/stevedore/digests/explain"
	"github.com/stevedore-build/stevedore/oci/transport/transporttest"
)

// layoutFromTar writes a one-layer layout from raw tar bytes.
func layoutFromTar(t *testing.T, tarBytes []byte) string {
	dir := t.TempDir()
	blob := transporttest.Gzip(t, tarBytes, gzip.DefaultCompression, gzip.Header{})
	transporttest.WriteLayout(t, dir, transporttest.Spec{Layers: [][]byte{blob}})
	return dir
}

func compare(t *testing.T, a, b string) *explain.Result {
	t.Helper()
	res, err := explain.Refs(context.Background(), a, b, "", explain.Options{})
	if err != nil {
		t.Fatalf("Refs: %v", err)
	}
	t.Log(res)
	return res
}

func TestImagesTarEncoding(t *testing.T) {
	long := strings.Repeat("d", 60) + "/" + strings.Repeat("f", 60) // fits USTAR with prefix
	ustar := []transporttest.Entry{transporttest.File(long, "x\n")}
	pax := []transporttest.Entry{transporttest.File(long, "x\n")}
	pax[0].Header.PAXRecords = map[string]string{"path": long}
	base := transporttest.Tar(t, transporttest.DefaultEntries())
	padded := append(bytes.Clone(base), make([]byte, 1024)...)

	tests := []struct {
		name string
		a, b []byte
		want []key
	}{
		{"pax path versus ustar prefix", transporttest.Tar(t, ustar), transporttest.Tar(t, pax),
			[]key{{explain.LevelTar, long, "pax.path"}}},
		{"trailing zero blocks", base, padded,
			[]key{{explain.LevelTar, "end of archive", "bytes (tar offset " + strconv.Itoa(len(base)) + ")"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := compare(t, layoutFromTar(t, tt.a), layoutFromTar(t, tt.b))
			if diff := cmp.Diff(tt.want, keys(res)); diff != "" {
				t.Errorf("differences (-want +got):\n%s", diff)
			}
		})
	}
}

// TestImagesBinaryContentOffset checks a late difference in a large binary
// file is located by byte offset.
func TestImagesBinaryContentOffset(t *testing.T) {
	body := bytes.Repeat([]byte{0, 1, 2, 3, 4, 5, 6, 7}, 1<<17) // 1 MiB, no newlines
	other := bytes.Clone(body)
	other[len(other)-3] = 0xff
	entry := func(b []byte) []transporttest.Entry {
		e := transporttest.File("bin/blob", string(b))
		return []transporttest.Entry{transporttest.Dir("bin/"), e}
	}
	res := compare(t, layoutFromTar(t, transporttest.Tar(t, entry(body))), layoutFromTar(t, transporttest.Tar(t, entry(other))))
	if diff := cmp.Diff([]key{{explain.LevelTar, "bin/blob", "content"}}, keys(res)); diff != "" {
		t.Fatalf("differences (-want +got):\n%s", diff)
	}
	want := "byte " + strconv.Itoa(len(body)-3) + ": 05"
	if got := res.Differences[0].A; !strings.Contains(got, want) {
		t.Errorf("A = %q, want it to contain %q", got, want)
	}
}

// TestImagesLayoutVersusDockerArchive compares an image with its own
// docker-archive export: only the manifest's form differs, never a layer.
func TestImagesLayoutVersusDockerArchive(t *testing.T) {
	dir := t.TempDir()
	blob := transporttest.Gzip(t, transporttest.Tar(t, transporttest.DefaultEntries()), gzip.DefaultCompression, gzip.Header{})
	img := transporttest.WriteLayout(t, dir, transporttest.Spec{Layers: [][]byte{blob}})
	archive := filepath.Join(t.TempDir(), "d.tar")
	transporttest.WriteDockerArchive(t, img, archive)
	res := compare(t, dir, "docker-archive:"+archive)
	if res.Identical {
		t.Fatal("an OCI manifest and a Docker manifest reported identical")
	}
	for _, d := range res.Differences {
		switch d.Level {
		case explain.LevelIndexJSON, explain.LevelManifest:
		default:
			t.Errorf("unexpected difference below the manifest: %+v", d)
		}
	}
}

// TestImagesNestedIndexVersusFlat compares BuildKit's shape (index.json →
// index → manifest) with a flat layout of the same image: the structure
// is reported once and the manifests are still compared.
func TestImagesNestedIndexVersusFlat(t *testing.T) {
	blob := transporttest.Gzip(t, transporttest.Tar(t, transporttest.DefaultEntries()), gzip.DefaultCompression, gzip.Header{})
	flat := t.TempDir()
	img := transporttest.WriteLayout(t, flat, transporttest.Spec{Layers: [][]byte{blob}})
	nested := t.TempDir()
	inner := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})
	if _, err := layout.Write(nested, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: inner})); err != nil {
		t.Fatal(err)
	}
	res := compare(t, nested, flat)
	want := []key{
		{explain.LevelIndexJSON, "", "manifests[0].artifactType"}, // ggcr sets it for images in an index
		{explain.LevelIndexJSON, "", "manifests[0].mediaType"},
	}
	if diff := cmp.Diff(want, keys(res)); diff != "" {
		t.Errorf("differences (-want +got):\n%s", diff)
	}
	other := t.TempDir()
	transporttest.WriteLayout(t, other, transporttest.Spec{Layers: [][]byte{blob},
		Config: func(c *v1.ConfigFile) { c.Config.WorkingDir = "/w" }})
	res = compare(t, nested, other)
	want = append(want, key{explain.LevelConfig, "", "config.WorkingDir"})
	if diff := cmp.Diff(want, keys(res)); diff != "" {
		t.Errorf("differences (-want +got):\n%s", diff)
	}
}
