package image

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeName(t *testing.T) {
	tests := []struct {
		in, full, tag string
		err           bool
	}{
		{in: "core-busybox", full: "docker.io/library/core-busybox:latest", tag: "latest"},
		{in: "core-busybox:1.2", full: "docker.io/library/core-busybox:1.2", tag: "1.2"},
		{in: "stagex/core-busybox", full: "docker.io/stagex/core-busybox:latest", tag: "latest"},
		{in: "index.docker.io/stagex/x", full: "docker.io/stagex/x:latest", tag: "latest"},
		{in: "127.0.0.1:5000/stagex/x:v1", full: "127.0.0.1:5000/stagex/x:v1", tag: "v1"},
		{in: "localhost:5000/x", full: "localhost:5000/x:latest", tag: "latest"},
		{in: "localhost/x", full: "localhost/x:latest", tag: "latest"},
		{in: "Core-Busybox", err: true},
		{in: "core--x__y.z", full: "docker.io/library/core--x__y.z:latest", tag: "latest"},
		{in: "x@sha256:" + strings.Repeat("a", 64), err: true},
		{in: "x:", err: true},
		{in: "-x", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			full, tag, err := normalizeName(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if full != tc.full || tag != tc.tag {
				t.Errorf("got %q %q, want %q %q", full, tag, tc.full, tc.tag)
			}
		})
	}
}

func FuzzNormalizeName(f *testing.F) {
	for _, s := range []string{"core-x", "a/b:c", "localhost:5000/x", "X", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		full, tag, err := normalizeName(s)
		if err != nil {
			return
		}
		// Normalising is idempotent and keeps the tag.
		full2, tag2, err := normalizeName(full)
		if err != nil || full2 != full || tag2 != tag || !strings.HasSuffix(full, ":"+tag) {
			t.Errorf("normalizeName(%q) = %q %q; again: %q %q %v", s, full, tag, full2, tag2, err)
		}
	})
}

func TestStageXExport(t *testing.T) {
	got := StageXExport(epoch1, "core-x", "")
	want := Export{Epoch: epoch1, Name: "core-x", Annotations: map[string]string{
		"containerd.io/distribution.source.docker.io": "stagex/core-x",
		"org.opencontainers.image.version":            "latest",
		"org.opencontainers.image.created":            "1970-01-01T00:00:01Z",
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestAssembleRefuses: inputs that would not give BuildKit's bytes.
func TestAssembleRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(in *Input, exp *Export)
		want   string
	}{
		{"base layer marked new", func(in *Input, _ *Export) { in.Layers[0].New = true }, "BuildKit would reuse it"},
		{"new layer marked reused", func(in *Input, _ *Export) { in.Layers[2].New = false }, "BuildKit would rewrite it"},
		{"reused layer not in base", func(in *Input, _ *Export) { in.Layers[1].DiffID.Hex = strings.Repeat("9", 64) }, "not part of the base"},
		{"zstd layer", func(in *Input, _ *Export) { in.Layers[2].MediaType = "application/vnd.oci.image.layer.v1.tar+zstd" }, "unsupported layer media type"},
		{"no epoch", func(_ *Input, exp *Export) { exp.Epoch = time.Time{} }, "no epoch"},
		{"bad name", func(_ *Input, exp *Export) { exp.Name = "Bad" }, "invalid path component"},
		{"no platform", func(in *Input, _ *Export) { in.Platform.OS = "" }, "platform needs os"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in, exp := goldenInput(), StageXExport(epoch1, "core-x", "1")
			tc.change(&in, &exp)
			_, err := Assemble(in, exp)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestAssembleDockerLayerType: Docker's gzip layer type is exported as
// OCI's, as ConvertAllLayerMediaTypes does for the OCI exporter.
func TestAssembleDockerLayerType(t *testing.T) {
	in := goldenInput()
	want, err := Assemble(in, StageXExport(epoch1, "core-x", "1"))
	if err != nil {
		t.Fatal(err)
	}
	in.Layers[0].MediaType = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	got, err := Assemble(in, StageXExport(epoch1, "core-x", "1"))
	if err != nil {
		t.Fatal(err)
	}
	if got.ManifestDigest != want.ManifestDigest {
		t.Errorf("manifest %s, want %s", got.ManifestDigest, want.ManifestDigest)
	}
}

// TestAssembleUnnamed: without name= index.json carries only the date.
func TestAssembleUnnamed(t *testing.T) {
	img, err := Assemble(goldenInput(), Export{Epoch: time.Unix(86400, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(img.IndexJSON), `"annotations":{"org.opencontainers.image.created":"1970-01-02T00:00:00Z"}}`) {
		t.Errorf("index.json = %s", img.IndexJSON)
	}
	if strings.Contains(string(img.Manifest), "\n  \"annotations\"") {
		t.Errorf("manifest has annotations without export options: %s", img.Manifest)
	}
}
