package oci

import (
	"testing"

	"github.com/containerd/platforms"
	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestParsePlatform: the strict os/arch[/variant] shape, and what
// platforms.Normalize makes of it (what BuildKit writes into images).
func TestParsePlatform(t *testing.T) {
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	i386 := ocispec.Platform{OS: "linux", Architecture: "386"}
	arm7 := ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}
	arm64 := ocispec.Platform{OS: "linux", Architecture: "arm64"}
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
		{in: "/amd64", err: true},
		{in: "linux/arm/", err: true},
		{in: "linux/arm/v7/x", err: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParsePlatform(tc.in)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err == nil {
				if platforms.Format(got) != tc.in {
					t.Errorf("ParsePlatform(%q) = %s, not as written", tc.in, platforms.Format(got))
				}
				got = platforms.Normalize(got)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestSamePlatformNeedsOS: a platform without an OS (a config with no "os")
// matches nothing, though platforms.Normalize would make it the host's OS.
func TestSamePlatformNeedsOS(t *testing.T) {
	amd64 := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	noOS := ocispec.Platform{Architecture: "amd64"}
	if SamePlatform(noOS, amd64) || SamePlatform(amd64, noOS) || SamePlatform(noOS, noOS) {
		t.Error("a platform without an OS matched")
	}
	if !SamePlatform(ocispec.Platform{OS: "Linux", Architecture: "x86_64"}, amd64) {
		t.Error("Linux/x86_64 does not match linux/amd64")
	}
	if got := platforms.Format(NormalizePlatform(noOS)); got != "unknown" {
		t.Errorf("NormalizePlatform kept no OS as %q, want Format to say unknown", got)
	}
}
