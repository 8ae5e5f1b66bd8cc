package parity

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/oci/transport"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
)

const depRecipe = `FROM stagex/test-base AS base
FROM scratch AS package-sub
COPY --from=fetch src.txt /src.txt
FROM stagex/test-base AS package
ARG FOO
COPY f.txt /f.txt
COPY --from=fetch src.txt /src-${FOO}.txt
`

// imageOf reads the manifest and config of a BuildKit layout (index.json
// → index → manifest), verifying every blob.
func imageOf(t *testing.T, dir string) (v1.Manifest, v1.ConfigFile) {
	t.Helper()
	img, err := transport.OpenString(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	read := func(d v1.Descriptor, into any) {
		raw, err := img.ReadBlob(d)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, into); err != nil {
			t.Fatal(err)
		}
	}
	var idx v1.IndexManifest
	read(img.Manifests[0], &idx)
	var m v1.Manifest
	read(idx.Manifests[0], &m)
	var cf v1.ConfigFile
	read(m.Config, &cf)
	return m, cf
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBuildKitDepsFetchTargetArgs exercises every build option the parity
// suite needs: a stagex/<dep> OCI layout context, the fetch context, a
// build argument and a target stage.
func TestBuildKitDepsFetchTargetArgs(t *testing.T) {
	slow(t)
	ctx := context.Background()
	d := startBuildKit(t)
	out := t.TempDir()
	base := filepath.Join(out, "test-base")
	build(t, d, writeContext(t, 0o644), base)

	pkg, fetch := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(pkg, "Containerfile"), depRecipe)
	writeFile(t, filepath.Join(pkg, "f.txt"), "data\n")
	writeFile(t, filepath.Join(fetch, "src.txt"), "fetched\n")
	opts := buildkitref.BuildOptions{Context: pkg, Fetch: fetch, Name: "test-dep", Version: "1.0",
		BuildArgs: map[string]string{"FOO": "bar"}, Deps: map[string]string{"test-base": base},
		Dest: filepath.Join(out, "test-dep")}
	if err := d.Build(ctx, opts); err != nil {
		t.Fatalf("BuildKit build: %v", err)
	}
	sub := opts
	sub.Name, sub.Target, sub.Dest = "test-sub", "package-sub", filepath.Join(out, "test-sub")
	if err := d.Build(ctx, sub); err != nil {
		t.Fatalf("BuildKit build: %v", err)
	}

	bm, _ := imageOf(t, base)
	m, cf := imageOf(t, opts.Dest)
	if len(m.Layers) != 4 {
		t.Fatalf("test-dep has %d layers, want 4 (2 base + 2 COPY)", len(m.Layers))
	}
	for i, l := range bm.Layers {
		if m.Layers[i].Digest != l.Digest || len(m.Layers[i].Annotations) != 0 {
			t.Errorf("layer %d = %s %v, want the base blob %s reused without annotations", i, m.Layers[i].Digest, m.Layers[i].Annotations, l.Digest)
		}
	}
	if got, want := m.Annotations["org.opencontainers.image.version"], "1.0"; got != want {
		t.Errorf("version annotation = %q, want %q", got, want)
	}
	if got, want := cf.History[len(cf.History)-1].CreatedBy, "COPY src.txt /src-bar.txt # buildkit"; got != want {
		t.Errorf("last history entry = %q, want %q", got, want)
	}
	sm, scf := imageOf(t, sub.Dest)
	var got []string
	for _, h := range scf.History {
		got = append(got, h.CreatedBy)
	}
	if diff := cmp.Diff([]string{"COPY src.txt /src.txt # buildkit"}, got); diff != "" || len(sm.Layers) != 1 {
		t.Errorf("package-sub history (-want +got):\n%s\nlayers: %d", diff, len(sm.Layers))
	}
}
