package exchange

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// TestPodmanLoadsAndRuns exports core-box in both archive formats, loads
// each into its own private podman storage and runs /bin/box echo hi.
func TestPodmanLoadsAndRuns(t *testing.T) {
	slow(t, "podman")
	bin, tree := built(t)
	for _, format := range []string{"oci-archive", "docker-archive"} {
		t.Run(format, func(t *testing.T) {
			dir := shortTemp(t)
			archive := filepath.Join(dir, "core-box.tar")
			must(t, tree, bin, "--tree", tree, "export", "--format", format, "-o", archive, "core-box")
			pod := podman(dir)
			out := must(t, dir, "podman", pod("load", "-i", archive)...)
			if !strings.Contains(out, "localhost/stagex/core-box:latest") {
				t.Errorf("podman load: %q, want localhost/stagex/core-box:latest", out)
			}
			got := must(t, dir, "podman", pod("run", "--rm", "--network=none",
				"--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024",
				"stagex/core-box:latest", "/bin/box", "echo", "hi")...)
			if got != "hi\n" {
				t.Errorf("podman run output %q, want %q", got, "hi\n")
			}
		})
	}
}

// shortTemp is a temp dir with a short path: podman refuses a runroot
// longer than 50 characters.
func shortTemp(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "sx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// podman returns podman's arguments with storage, run state and temp
// files in dir, so that the host's storage is untouched.
func podman(dir string) func(args ...string) []string {
	return func(args ...string) []string {
		base := []string{"--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
			"--tmpdir", filepath.Join(dir, "tmp"), "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs", "--events-backend", "file"}
		return append(base, args...)
	}
}

// TestSkopeoInspectsExports: skopeo reads each export; the OCI forms give
// the image index of out/ byte for byte (so the recorded manifest digest
// inside it), the docker archive the same config and layers.
func TestSkopeoInspectsExports(t *testing.T) {
	slow(t, "skopeo")
	bin, tree := built(t)
	top, manifest := topDigest(t, tree, "core-box"), manifestDigest(t, tree, "core-box")
	dir := t.TempDir()
	for _, tc := range []struct{ format, ref string }{
		{"oci-archive", "oci-archive:" + filepath.Join(dir, "a.tar")},
		{"oci-dir", "oci:" + filepath.Join(dir, "d")},
		{"docker-archive", "docker-archive:" + filepath.Join(dir, "d.tar")},
	} {
		t.Run(tc.format, func(t *testing.T) {
			path := tc.ref[strings.Index(tc.ref, ":")+1:]
			must(t, tree, bin, "--tree", tree, "export", "--format", tc.format, "-o", path, "core-box")
			raw := must(t, dir, "skopeo", "inspect", "--raw", tc.ref)
			if tc.format == "docker-archive" {
				checkDockerManifest(t, []byte(raw), tree, manifest)
				return
			}
			if got := sha(raw); got != top {
				t.Errorf("skopeo inspect --raw %s: digest %s, want the image index %s", tc.ref, got, top)
			}
			var idx v1.IndexManifest
			json.Unmarshal([]byte(raw), &idx)
			if len(idx.Manifests) == 0 || idx.Manifests[0].Digest.String() != manifest {
				t.Errorf("image index %s does not list the recorded manifest %s", raw, manifest)
			}
		})
	}
}

// checkDockerManifest compares the manifest skopeo synthesizes for a
// docker archive with out/'s image: the same config, and layers whose
// digests are the config's diffIDs (skopeo describes a docker archive's
// layers uncompressed).
func checkDockerManifest(t *testing.T, raw []byte, tree, manifest string) {
	t.Helper()
	var want v1.Manifest
	readBlobJSON(t, tree, manifest, &want)
	var cfg v1.ConfigFile
	readBlobJSON(t, tree, want.Config.Digest.String(), &cfg)
	var got v1.Manifest
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.Config.Digest != want.Config.Digest {
		t.Errorf("docker archive config %s, want %s", got.Config.Digest, want.Config.Digest)
	}
	var gotLayers []v1.Hash
	for _, l := range got.Layers {
		gotLayers = append(gotLayers, l.Digest)
	}
	if diff := cmp.Diff(cfg.RootFS.DiffIDs, gotLayers); diff != "" {
		t.Errorf("docker archive layers (-diffIDs +got):\n%s", diff)
	}
}

// readBlobJSON parses blob digest of tree's out/core-box into v.
func readBlobJSON(t *testing.T, tree, digest string, v any) {
	t.Helper()
	h, err := v1.NewHash(digest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(tree, "out", "core-box", "blobs", "sha256", h.Hex))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// topDigest is testenv.TopDigest of out/<target>.
func topDigest(t *testing.T, tree, target string) string {
	t.Helper()
	return testenv.TopDigest(t, filepath.Join(tree, "out", target))
}
