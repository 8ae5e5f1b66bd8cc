package baseimages

import (
	"github.com/stevedore-build/stevedore/tests/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/assemble/image"
)

// build runs stevedore build in tree with extra flags.
func build(bin, tree string, flags ...string) []string {
	return append([]string{"--tree", tree, "build", "--progress=plain"}, flags...)
}

// TestLocalSources: core-box from an OCI layout (out/ itself and an
// oci-dir export), an oci-archive and a docker-archive gives user-app the
// manifest digest it has FROM stagex/core-box; the tag is pinned, and a
// second build --offline without any source uses the pin and the store.
func TestLocalSources(t *testing.T) {
	slow(t)
	bin, tree := built(t)
	want := manifestDigest(t, tree, "user-app")
	exports := t.TempDir()
	box := filepath.Join(tree, "out", "core-box")
	for _, tc := range []struct {
		name, format, ref string
		pin               string // digest expected in the lock; "" = not checked
	}{
		{name: "out layout", ref: "core-box:latest", pin: testenv.TopDigest(t, box)},
		{name: "oci-dir", format: "oci-dir", ref: "docker.io/stagex/core-box:latest", pin: testenv.TopDigest(t, box)},
		{name: "oci-archive", format: "oci-archive", ref: "docker.io/stagex/core-box:latest", pin: testenv.TopDigest(t, box)},
		{name: "oci-archive by digest", format: "oci-archive", ref: "example.test/any/name@" + testenv.TopDigest(t, box)},
		{name: "docker-archive", format: "docker-archive", ref: "docker.io/stagex/core-box:latest"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := "oci:" + box
			if tc.format != "" {
				path := filepath.Join(exports, strings.ReplaceAll(tc.name, " ", "-"))
				must(t, tree, bin, "--tree", tree, "export", "--format", tc.format, "-o", path, "core-box")
				src = strings.Replace(tc.format, "oci-dir", "oci", 1) + ":" + path
			}
			app := appTree(t, tc.ref)
			must(t, app, bin, build(bin, app, "--image-source", src)...)
			if got := manifestDigest(t, app, "user-app"); got != want {
				t.Errorf("user-app %s, want %s (as FROM stagex/core-box)", got, want)
			}
			if !strings.Contains(tc.ref, "@") {
				lines := lockLines(t, app)
				if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.ref+" sha256:") || !strings.HasSuffix(lines[0], " "+src) {
					t.Errorf("lock %q, want one pin of %s from %s", lines, tc.ref, src)
				}
				if tc.pin != "" && len(lines) == 1 && strings.Fields(lines[0])[1] != tc.pin {
					t.Errorf("lock %q, want digest %s", lines, tc.pin)
				}
			}
			must(t, app, bin, build(bin, app, "--offline", "--no-cache")...)
			if got := manifestDigest(t, app, "user-app"); got != want {
				t.Errorf("offline rebuild: user-app %s, want %s", got, want)
			}
		})
	}
}

// TestRegistry: core-box pushed to docker-registry on 127.0.0.1 by tag.
func TestRegistry(t *testing.T) {
	slow(t, "docker-registry")
	bin, tree := built(t)
	want := manifestDigest(t, tree, "user-app")
	box := filepath.Join(tree, "out", "core-box")
	top := testenv.TopDigest(t, box)
	addr, data := testenv.StartRegistry(t)
	ref := addr + "/stagex/core-box:1"
	must(t, tree, bin, "--tree", tree, "push", "core-box", ref)
	app := appTree(t, ref)
	lock := filepath.Join(app, "stevedore.lock")
	store := filepath.Join(app, ".stevedore", "images")
	pinned := ref + " " + top + " registry"

	t.Run("pins the tag", func(t *testing.T) {
		must(t, app, bin, build(bin, app)...)
		if got := manifestDigest(t, app, "user-app"); got != want {
			t.Errorf("user-app %s, want %s (as FROM stagex/core-box)", got, want)
		}
		if got := lockLines(t, app); len(got) != 1 || got[0] != pinned {
			t.Errorf("lock %q, want %q", got, pinned)
		}
	})
	t.Run("offline uses the pin and the store", func(t *testing.T) {
		must(t, app, bin, build(bin, app, "--offline", "--no-cache")...)
		if got := manifestDigest(t, app, "user-app"); got != want {
			t.Errorf("user-app %s, want %s", got, want)
		}
	})
	t.Run("offline refuses an unpinned tag", func(t *testing.T) {
		other := appTree(t, addr+"/stagex/core-box:2")
		msg := fails(t, other, bin, build(bin, other, "--offline")...)
		wantMsg := "packages/user/app/Containerfile:1: FROM " + addr + "/stagex/core-box:2: resolve " + addr + "/stagex/core-box:2: not pinned in "
		if !strings.Contains(msg, wantMsg) {
			t.Errorf("error:\n%s\nwant it to contain %q", msg, wantMsg)
		}
	})
	t.Run("a moved tag keeps its pin until --update-lock", func(t *testing.T) {
		must(t, tree, bin, "--tree", tree, "push", "core-filesystem", ref)
		os.RemoveAll(store)
		must(t, app, bin, build(bin, app, "--no-cache")...)
		if got := manifestDigest(t, app, "user-app"); got != want {
			t.Errorf("user-app %s, want %s (the pinned image)", got, want)
		}
		// core-filesystem has no /bin/box, so the build fails after the
		// lock is updated; the new pin is what this checks.
		run(app, bin, build(bin, app, "--update-lock", "--no-cache")...)
		moved := ref + " " + testenv.TopDigest(t, filepath.Join(tree, "out", "core-filesystem")) + " registry"
		if got := lockLines(t, app); len(got) != 1 || got[0] != moved {
			t.Errorf("lock %q, want %q", got, moved)
		}
		if err := os.WriteFile(lock, []byte(pinned+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a pinned digest the registry no longer serves", func(t *testing.T) {
		gone := testenv.TopDigest(t, filepath.Join(tree, "out", "core-greeting"))
		if err := os.WriteFile(lock, []byte(ref+" "+gone+" registry\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.WriteFile(lock, []byte(pinned+"\n"), 0o644)
		os.RemoveAll(store)
		msg := fails(t, app, bin, build(bin, app, "--no-cache")...)
		if !strings.Contains(msg, "resolve "+ref+" ("+gone+"): not in the store and no source serves it any more") {
			t.Errorf("error:\n%s", msg)
		}
	})
	t.Run("a registry serving other bytes for a pinned digest is refused", func(t *testing.T) {
		l, err := image.ReadLayout(box, ocispec.Platform{OS: "linux", Architecture: "amd64"})
		if err != nil {
			t.Fatal(err)
		}
		layer := l.Layers[0].Digest
		blob := filepath.Join(data, "docker", "registry", "v2", "blobs", "sha256", layer.Hex[:2], layer.Hex, "data")
		raw, err := os.ReadFile(blob)
		if err != nil {
			t.Fatal(err)
		}
		raw[len(raw)/2] ^= 0xff
		if err := os.WriteFile(blob, raw, 0o644); err != nil {
			t.Fatal(err)
		}
		os.RemoveAll(store)
		msg := fails(t, app, bin, build(bin, app, "--no-cache")...)
		if !strings.Contains(msg, "copy blob "+layer.String()+" from registry") {
			t.Errorf("error:\n%s\nwant it to name blob %s", msg, layer)
		}
		if ents, _ := os.ReadDir(filepath.Join(store, "sha256")); len(ents) != 0 {
			t.Errorf("store holds %d entries after a refused copy", len(ents))
		}
	})
}
