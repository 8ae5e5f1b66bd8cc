package buildkitref

import (
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/oci/transport/transporttest"
)

func TestBuildOptionsArgs(t *testing.T) {
	o := BuildOptions{Context: "packages/core/foo", Name: "core-foo", Dest: "out/core-foo",
		Fetch: "fetch/core/foo", Target: "package-bar", Version: "1.2",
		BuildArgs: map[string]string{"VERSION": "1.2", "A_SOURCE": "a.tar"},
		Deps:      map[string]string{"core-filesystem": "out/core-filesystem", "core-busybox": "out/core-busybox"}}
	want := []string{"--context", "packages/core/foo", "--name", "core-foo", "--dest", "out/core-foo",
		"--fetch", "fetch/core/foo", "--target", "package-bar", "--version", "1.2",
		"--build-arg", "A_SOURCE=a.tar", "--build-arg", "VERSION=1.2",
		"--dep", "core-busybox=out/core-busybox", "--dep", "core-filesystem=out/core-filesystem"}
	if diff := cmp.Diff(want, o.Args()); diff != "" {
		t.Errorf("Args (-want +got):\n%s", diff)
	}
}

func TestManifestDigest(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "l")
	blob := transporttest.Gzip(t, transporttest.Tar(t, transporttest.DefaultEntries()), gzip.DefaultCompression, gzip.Header{})
	img := transporttest.WriteLayout(t, dir, transporttest.Spec{Layers: [][]byte{blob}})
	want, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ManifestDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("ManifestDigest = %s, want %s", got, want)
	}
}

func TestDefaultScriptExists(t *testing.T) {
	fi, err := os.Stat(DefaultScript())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&0o111 == 0 {
		t.Errorf("%s is not executable (mode %v)", DefaultScript(), fi.Mode())
	}
}
