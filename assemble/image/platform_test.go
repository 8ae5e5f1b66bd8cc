package image

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in   string
		want ocispec.Platform
		err  bool
	}{
		{in: "linux/amd64", want: amd64},
		{in: "linux/386", want: i386},
		{in: "linux/i386", want: i386},
		{in: "linux/arm/v7", want: arm7},
		{in: "linux/arm", want: arm7},
		{in: "linux/armhf", want: arm7},
		{in: "linux/arm/6", want: ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v6"}},
		{in: "linux/arm64/v8", want: arm64},
		{in: "linux/aarch64", want: arm64},
		{in: "Linux/x86_64", want: amd64},
		{in: "linux/riscv64", want: ocispec.Platform{OS: "linux", Architecture: "riscv64"}},
		{in: "linux", err: true},
		{in: "linux/", err: true},
		{in: "linux/arm/", err: true},
		{in: "linux/arm/v7/x", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePlatform(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

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
		t.Run(FormatPlatform(tc.p), func(t *testing.T) {
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
