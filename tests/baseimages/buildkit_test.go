package baseimages

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
)

// TestBuildKitParity: user-app built by stevedore FROM core-box:latest out
// of an OCI layout has the manifest digest BuildKit v0.34.2 gives the same
// recipe with that layout as an oci-layout named context. buildkit.sh names
// dependency contexts stagex/<name>, so BuildKit's side of the recipe says
// FROM stagex/core-box; to BuildKit a named context replaces an image
// reference and a stagex/ name alike (context:<name>=oci-layout://...).
func TestBuildKitParity(t *testing.T) {
	slow(t)
	bin, tree := built(t)
	ctx := context.Background()
	d, err := buildkitref.Start(ctx, buildkitref.Options{Workdir: filepath.Join(t.TempDir(), "bk")})
	if err != nil {
		t.Fatalf("BuildKit reference unavailable: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop buildkitd: %v", err)
		}
	})
	loaded, err := recipes.Load(tree, recipes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var tg *recipes.Target
	for _, x := range loaded.Targets {
		if x.Name == "user-app" {
			tg = x
		}
	}
	args := buildkitref.ExtraBuildArgs(tg.BuildArgs)
	box := filepath.Join(tree, "out", "core-box")
	want := filepath.Join(t.TempDir(), "user-app")
	err = d.Build(ctx, buildkitref.BuildOptions{
		Context: tg.Origin.Dir, BuildArgs: args, Name: tg.Name, Version: tg.Version, Dest: want,
		Deps: map[string]string{"core-box": box},
	})
	if err != nil {
		t.Fatalf("BuildKit build of user-app: %v", err)
	}
	app := appTree(t, "core-box:latest")
	must(t, app, bin, build(bin, app, "--image-source", box)...)
	buildkitref.RequireSameManifest(t, want, filepath.Join(app, "out", "user-app"))
}
