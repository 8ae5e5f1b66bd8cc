package oci

import (
	"fmt"
	"strings"

	"github.com/containerd/platforms"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// BuildPlatform is the platform stevedore builds on: BuildKit's
// BUILDPLATFORM, and the target platform of packages that set none.
var BuildPlatform = ocispec.Platform{OS: "linux", Architecture: "amd64"}

// ParsePlatform parses "os/arch[/variant]" as written: no part may be
// empty, and nothing is normalised, because build arguments such as
// TARGETARCH carry the value as given. Where BuildKit writes the normalised
// form (the image index, the config, comparing platforms), callers pass the
// result through platforms.Normalize.
func ParsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" || len(parts) == 3 && parts[2] == "" {
		return ocispec.Platform{}, fmt.Errorf("platform %q is not os/arch[/variant]", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// SamePlatform reports whether two platforms name the same target once
// normalised; OS version and features are ignored, as BuildKit's matcher
// does for Linux. A platform without an OS (an image config with no "os")
// matches nothing: platforms.Normalize would make it the host's OS.
func SamePlatform(a, b ocispec.Platform) bool {
	if a.OS == "" || b.OS == "" {
		return false
	}
	a, b = NormalizePlatform(a), NormalizePlatform(b)
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant
}

// NormalizePlatform is platforms.Normalize, except that an empty OS stays
// empty instead of becoming the host's: a config without "os" is not a
// Linux image, and messages show it as platforms.Format does, "unknown".
func NormalizePlatform(p ocispec.Platform) ocispec.Platform {
	os := p.OS
	p = platforms.Normalize(p)
	if os == "" {
		p.OS = ""
	}
	return p
}
