package image

import (
	"testing"

	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestEmptyImage: what a FROM scratch stage starts from, per platform.
func TestEmptyImage(t *testing.T) {
	withConfig := func(arch, variant string, env []string) dockerspec.DockerOCIImage {
		img := dockerspec.DockerOCIImage{}
		img.OS, img.Architecture, img.Variant = "linux", arch, variant
		img.RootFS.Type = "layers"
		img.Config.WorkingDir = "/"
		img.Config.Env = env
		return img
	}
	path := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	win := withConfig("amd64", "", nil)
	win.OS = "windows"
	for _, tc := range []struct {
		p    ocispec.Platform
		want dockerspec.DockerOCIImage
	}{
		{amd64, withConfig("amd64", "", path)},
		{arm7, withConfig("arm", "v7", path)},
		{ocispec.Platform{OS: "windows", Architecture: "amd64"}, win},
	} {
		t.Run(platforms.Format(tc.p), func(t *testing.T) {
			if diff := cmp.Diff(tc.want, EmptyImage(tc.p)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestFromBaseIsolated: the executor may mutate FromBase's result without
// touching the base, which Assemble needs unchanged.
func TestFromBaseIsolated(t *testing.T) {
	base := EmptyImage(amd64)
	created := epoch1
	base.Created = &created
	base.Config.Labels = map[string]string{"a": "b"}
	base.History = []ocispec.History{hist("COPY a / # buildkit", true, epoch1)}
	img := FromBase(base)
	if img.Created != nil {
		t.Errorf("Created = %v, want nil as the frontend clears it", img.Created)
	}
	img.Config.Env[0] = "PATH=/x"
	img.Config.Labels["a"] = "c"
	img.History[0].CreatedBy = "changed"
	if base.Config.Env[0] == "PATH=/x" || base.Config.Labels["a"] != "b" || base.History[0].CreatedBy == "changed" {
		t.Errorf("mutating FromBase's result changed the base: %+v", base)
	}
}
