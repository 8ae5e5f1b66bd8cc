package recipes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func loadFull(t *testing.T) *Tree {
	t.Helper()
	tree, err := Load("testdata/full", Options{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return tree
}

func target(t *testing.T, tree *Tree, name string) *Target {
	t.Helper()
	for _, tg := range tree.Targets {
		if tg.Name == name {
			return tg
		}
	}
	t.Fatalf("no target %s", name)
	return nil
}

func TestLoadTargets(t *testing.T) {
	tree := loadFull(t)
	var got []string
	for _, tg := range tree.Targets {
		got = append(got, tg.Name+"|"+tg.StageTarget+"|"+tg.FetchDir+"|"+strings.Join(tg.Deps, ","))
	}
	want := []string{
		"bootstrap-stage0||fetch/bootstrap/stage0|",
		"core-alpha|package-alpha|fetch/core/alpha|bootstrap-stage0,core-beta,core-gamma",
		// As in StageX's generator, every target of a Containerfile depends
		// on every stagex/ target it names, whichever stage uses it.
		"core-alpha-dev|package-alpha-dev|fetch/core/alpha|bootstrap-stage0,core-beta,core-gamma",
		"core-alpha-doc|package-alpha-doc|fetch/core/alpha|bootstrap-stage0,core-beta,core-gamma",
		"core-beta||fetch/core/beta|bootstrap-stage0",
		"core-gamma||fetch/core/gamma|",
		"user-delta||fetch/user/delta|core-alpha-dev,core-gamma",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

func TestLoadPackageFields(t *testing.T) {
	tree := loadFull(t)
	alpha := target(t, tree, "core-alpha").Origin
	if alpha.Description != "Alpha, with every field" || alpha.License != "MIT OR Apache-2.0" || alpha.Website != "https://example.invalid/alpha" {
		t.Errorf("metadata = %q %q %q", alpha.Description, alpha.License, alpha.Website)
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, alpha.Platforms); diff != "" {
		t.Errorf("platforms (-want +got):\n%s", diff)
	}
	sub := target(t, tree, "core-alpha-doc")
	if sub.Origin != alpha || !sub.IsSubpackage() || sub.Version != "1.2.3-rc1" {
		t.Errorf("subpackage: origin %s, version %q", sub.Origin.Name, sub.Version)
	}
	// version_from chains: gamma <- beta <- alpha.
	for _, name := range []string{"core-beta", "core-gamma"} {
		if v := target(t, tree, name).Version; v != "1.2.3-rc1" {
			t.Errorf("%s version = %q, want 1.2.3-rc1 (from core-alpha)", name, v)
		}
	}
	if v := target(t, tree, "user-delta").Version; v != "" {
		t.Errorf("user-delta version = %q, want none", v)
	}
	if len(tree.Warnings) != 1 || !strings.Contains(tree.Warnings[0].String(), "packages/core/notapackage: has no Containerfile") {
		t.Errorf("warnings = %v", tree.Warnings)
	}
}

func TestLoadSourcesPlaceholders(t *testing.T) {
	alpha := target(t, loadFull(t), "core-alpha").Origin
	type src struct {
		Key, Version, File string
		Mirrors            []string
	}
	var got []src
	for _, s := range alpha.Sources {
		got = append(got, src{s.Key, s.Version, s.File, s.Mirrors})
	}
	want := []src{
		{"alpha", "1.2.3-rc1", "alpha-1.2.3-rc1.tar.gz", []string{
			"https://a.example.invalid/1/1.2/alpha-1.2.3-rc1.tar.gz",
			"https://b.example.invalid/v1_2_3-rc1/1-2-3-rc1/1.2.3/alpha-1.2.3-rc1.tar.gz",
		}},
		{"extra", "0.9.1", "extra-0.9.1-0-9-1-0_9_1.tar.xz", []string{
			"https://c.example.invalid/0.9.1/extra-0.9.1-0-9-1-0_9_1.tar.xz",
		}},
		// No file: the last path element of the first mirror, query dropped.
		{"nofile", "1.2.3-rc1", "nofile-1.2.zip", []string{"https://d.example.invalid/dl/nofile-1.2.zip?raw=1"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

func TestLoadBuildArgs(t *testing.T) {
	tree := loadFull(t)
	want := map[string]string{
		"SOURCE_DATE_EPOCH":         "1",
		"BUILDKIT_MULTI_PLATFORM":   "1",
		"BUILDKIT_DOCKERFILE_CHECK": DockerfileCheck,
		"VERSION":                   "1.2.3-rc1",
		"VERSION_UNDER":             "1_2_3-rc1",
		"VERSION_DASH":              "1-2-3-rc1",
		"VERSION_MAJOR":             "1",
		"VERSION_MAJOR_MINOR":       "1.2",
		"VERSION_STRIP_SUFFIX":      "1.2.3",
		// Only the source with its own version gets _VERSION and _SOURCE.
		"EXTRA_VERSION": "0.9.1",
		// StageX's quirk: {version} from the source, {version_dash} and
		// {version_under} from the package (other placeholders are errors).
		"EXTRA_SOURCE":  "extra-0.9.1-1-2-3-rc1-1_2_3-rc1.tar.xz",
		"EXTRA_GIT_SHA": "deadbeefdeadbeefdeadbeefdeadbeefdeadbeef",
	}
	for _, name := range []string{"core-alpha", "core-alpha-dev"} {
		if diff := cmp.Diff(want, target(t, tree, name).BuildArgs); diff != "" {
			t.Errorf("%s build args (-want +got):\n%s", name, diff)
		}
	}
	delta := target(t, tree, "user-delta").BuildArgs
	if diff := cmp.Diff(map[string]string{"SOURCE_DATE_EPOCH": "1", "BUILDKIT_MULTI_PLATFORM": "1", "BUILDKIT_DOCKERFILE_CHECK": DockerfileCheck}, delta); diff != "" {
		t.Errorf("versionless build args (-want +got):\n%s", diff)
	}
}

func TestForms(t *testing.T) {
	tests := []struct {
		in   string
		want VersionForms
	}{
		{"1.2.3", VersionForms{"1.2.3", "1_2_3", "1-2-3", "1", "1.2", "1.2.3"}},
		{"2026.03.0-r1", VersionForms{"2026.03.0-r1", "2026_03_0-r1", "2026-03-0-r1", "2026", "2026.03", "2026.03.0"}},
		// Fewer than two parts: VERSION_MAJOR_MINOR is Python's None, printed.
		{"7", VersionForms{"7", "7", "7", "7", "None", "7"}},
		{"fc6eeb6b-x.y", VersionForms{"fc6eeb6b-x.y", "fc6eeb6b-x_y", "fc6eeb6b-x-y", "fc6eeb6b-x", "fc6eeb6b-x.y", "fc6eeb6b"}},
		{"", VersionForms{}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := Forms(tt.in); got != tt.want {
				t.Errorf("Forms(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

// writeTree writes files (path -> content) under a new temp dir.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestLoadNoPackagesDir(t *testing.T) {
	_, err := Load(t.TempDir(), Options{})
	if err == nil || !strings.Contains(err.Error(), "no packages/ directory") {
		t.Fatalf("err = %v", err)
	}
}

// With subpackages, the listed names are exactly the targets, each built
// from the package's stage package-<name>, the package's own name too;
// an unlisted package name is no target. version_from may name any target.
func TestSubpackagesAreTheTargets(t *testing.T) {
	root := writeTree(t, map[string]string{
		"packages/core/multi/package.toml":  "[package]\nname = \"multi\"\nversion = \"4.5\"\nsubpackages = [\"mb\", \"ma\"]\n",
		"packages/core/multi/Containerfile": "FROM scratch AS package-ma\nFROM scratch AS package-mb\nFROM scratch\n",
		"packages/core/own/package.toml":    "[package]\nname = \"own\"\nversion = \"1\"\nsubpackages = [\"own\", \"own-x\"]\n",
		"packages/core/own/Containerfile":   "FROM scratch AS package-own\nFROM scratch AS package-own-x\n",
		"packages/core/v/package.toml":      "[package]\nname = \"v\"\nversion_from = \"core-ma\"\n",
		"packages/core/v/Containerfile":     "FROM scratch\n",
	})
	tree, err := Load(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tg := range tree.Targets {
		got = append(got, tg.Name+"|"+tg.Package+"|"+tg.Origin.Name+"|"+tg.StageTarget+"|"+tg.Version)
	}
	want := []string{
		"core-ma|ma|multi|package-ma|4.5",
		"core-mb|mb|multi|package-mb|4.5",
		"core-own|own|own|package-own|1",
		"core-own-x|own-x|own|package-own-x|1",
		"core-v|v|v||4.5",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("targets (-want +got):\n%s", diff)
	}
}

// TestLoadOrderIsSequential: packages load on every processor at once, but
// packages, warnings and problems come out as a sequential load makes them.
func TestLoadOrderIsSequential(t *testing.T) {
	root := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var wantPkgs, wantWarn []string
	for i := range 60 {
		name := fmt.Sprintf("p%02d", i)
		dir := "packages/core/" + name
		write(dir+"/Containerfile", "FROM scratch\n")
		switch i % 3 {
		case 0:
			write(dir+"/package.toml", "[package]\nname = \""+name+"\"\nzz = 1\n")
			wantPkgs = append(wantPkgs, name)
			wantWarn = append(wantWarn, dir+"/package.toml:3: package.zz: unknown key, ignored")
		case 1:
			write(dir+"/package.toml", "[package]\nname = \""+name+"\"\n")
			wantPkgs = append(wantPkgs, name)
		case 2:
			write(dir+"/package.toml", "[package\n")
		}
	}
	for range 3 {
		_, err := Load(root, Options{})
		var ps Problems
		if !errors.As(err, &ps) || len(ps) != 20 {
			t.Fatalf("Load: %v, want 20 problems", err)
		}
		for j := range ps[1:] {
			if ps[j].File >= ps[j+1].File {
				t.Fatalf("problems out of order: %v", ps)
			}
		}
	}
	for i := range 60 {
		if i%3 == 2 {
			os.Remove(filepath.Join(root, fmt.Sprintf("packages/core/p%02d/package.toml", i)))
			os.Remove(filepath.Join(root, fmt.Sprintf("packages/core/p%02d/Containerfile", i)))
		}
	}
	for range 3 {
		tree, err := Load(root, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var pkgs, warn []string
		for _, p := range tree.Packages {
			pkgs = append(pkgs, p.Name)
		}
		for _, w := range tree.Warnings {
			warn = append(warn, w.String())
		}
		if diff := cmp.Diff(wantPkgs, pkgs); diff != "" {
			t.Errorf("packages (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(wantWarn, warn); diff != "" {
			t.Errorf("warnings (-want +got):\n%s", diff)
		}
	}
}
