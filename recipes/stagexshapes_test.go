package recipes

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// generatorTarget is what StageX's generator passes to docker build for one
// target, as plan --json names it.
type generatorTarget struct {
	StageTarget   string            `json:"stage_target"` // --target
	Version       string            `json:"version"`      // --tag stagex/<target>:<version>
	BuildArgs     map[string]string `json:"build_args"`   // every --build-arg
	Deps          []string          `json:"deps"`         // out/<dep>/index.json prerequisites, sorted, once each, not itself
	Platforms     []string          `json:"platforms"`    // --platform, $(PLATFORM) being linux/amd64
	Containerfile string            `json:"containerfile"`
	FetchDir      string            `json:"fetch_dir"` // --build-context fetch=...
}

// testdata/stagex-shapes is a small tree of every shape StageX's generator
// treats specially: subpackages listing the package's own name
// (core-multi) and not listing it (user-bundle has no target), version_from
// naming a subpackage (pallet-tool, pallet-kit) and a package without a
// version (pallet-none), versions without "." (core-single, the git hash of
// core-sha: VERSION_MAJOR_MINOR=None), sources with and without their own
// version and git_sha, <KEY>_SOURCE with the package's {version_dash},
// dependencies from every line form, a subpackage using a sibling,
// platforms.
//
// testdata/stagex-shapes/generator.json is what StageX's own generator
// computes for it: src/targets.py of StageX release 2026.03.0, run
// unmodified in that directory (python3 <stagex>/src/targets.py), each
// target's rule read back from its Makefile output (a target's own out/
// among its prerequisites left out, as make drops it). Regenerate it only
// the same way, from StageX's generator, never from stevedore.
func TestStageXShapesAsGenerator(t *testing.T) {
	data, err := os.ReadFile("testdata/stagex-shapes/generator.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]generatorTarget
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	tree, err := Load("testdata/stagex-shapes", Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]generatorTarget{}
	for _, tg := range tree.Targets {
		g := generatorTarget{
			StageTarget: tg.StageTarget, Version: tg.Version, BuildArgs: tg.BuildArgs,
			Deps: tg.Deps, Platforms: tg.Platforms,
			Containerfile: tg.Origin.ContainerfilePath, FetchDir: tg.FetchDir,
		}
		if g.Version == "" {
			g.Version = "latest"
		}
		if g.Deps == nil {
			g.Deps = []string{}
		}
		if len(g.Platforms) == 0 {
			g.Platforms = []string{DefaultPlatform}
		}
		got[tg.Name] = g
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-StageX's generator +stevedore):\n%s", diff)
	}
	// The shapes the tree exists for, spelled out.
	if _, ok := got["user-bundle"]; ok {
		t.Error("user-bundle is a target, but user/bundle does not list its own name")
	}
	for name, w := range map[string]generatorTarget{
		"core-multi":  {StageTarget: "package-multi", Version: "3.1.4-r2"},
		"pallet-tool": {Version: "3.1.4-r2"},
		"core-single": {Version: "20240117"},
		"pallet-none": {Version: "latest"},
	} {
		if g := got[name]; g.StageTarget != w.StageTarget || g.Version != w.Version {
			t.Errorf("%s: --target %q version %q, want %q %q", name, g.StageTarget, g.Version, w.StageTarget, w.Version)
		}
	}
	for _, name := range []string{"core-single", "core-sha"} {
		if v := got[name].BuildArgs["VERSION_MAJOR_MINOR"]; v != "None" {
			t.Errorf("%s: VERSION_MAJOR_MINOR = %q, want None", name, v)
		}
	}
}

// The same tree's source files and URLs are those of StageX's src/fetch.py
// (its formatting, without the download). core-multi's patchset is fetched
// as patches-2.0.1-2-0-1-2_0_1.tar.gz while src/targets.py passes
// PATCHSET_SOURCE=patches-2.0.1-3-1-4-r2-3_1_4-r2.tar.gz: StageX's quirk.
func TestStageXShapesSourcesAsFetchPy(t *testing.T) {
	tree, err := Load("testdata/stagex-shapes", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range tree.Packages {
		for _, s := range p.Sources {
			got = append(got, p.ID()+" "+s.Key+" "+s.File+" "+s.Mirrors[0])
		}
	}
	want := []string{
		"bootstrap-seed seed seed-1.0.tar.gz https://mirror.example.invalid/seed/seed-1.0.tar.gz",
		"core-multi multi multi-3.1.4-r2.tar.xz https://example.invalid/multi/3.1/multi-3.1.4-r2.tar.xz",
		"core-multi patchset patches-2.0.1-2-0-1-2_0_1.tar.gz https://git.example.invalid/patches/archive/2.0.1.tar.gz",
		"core-sha Sha_Src 5e3f9a0c.tar.gz https://git.example.invalid/sha/archive/5e3f9a0c.tar.gz",
		"core-single single single-20240117.zip https://example.invalid/single/20240117/single-20240117.zip?download=1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-fetch.py +stevedore):\n%s", diff)
	}
}
