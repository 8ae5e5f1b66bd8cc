package image

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// defaultPathEnv is BuildKit's util/system.DefaultPathEnvUnix, the PATH an
// image built FROM scratch gets.
const defaultPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// ParsePlatform parses "os/arch[/variant]" and normalises it the way
// BuildKit's frontend and exporter do (containerd/platforms.Normalize), so
// that "linux/arm" becomes linux/arm/v7 and "linux/arm64/v8" linux/arm64:
// the normalised value is what lands in the image index and the config.
func ParsePlatform(s string) (ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return ocispec.Platform{}, fmt.Errorf("parse platform %q: want os/arch[/variant]", s)
	}
	p := ocispec.Platform{OS: parts[0], Architecture: parts[1]}
	if len(parts) == 3 {
		if parts[2] == "" {
			return ocispec.Platform{}, fmt.Errorf("parse platform %q: empty variant", s)
		}
		p.Variant = parts[2]
	}
	return NormalizePlatform(p), nil
}

// NormalizePlatform is containerd/platforms.Normalize for the architectures
// Linux images use. Comparing platforms only makes sense after it, because
// BuildKit writes the normalised form.
func NormalizePlatform(p ocispec.Platform) ocispec.Platform {
	p.OS = strings.ToLower(p.OS)
	if p.OS == "macos" {
		p.OS = "darwin"
	}
	p.Architecture, p.Variant = normalizeArch(strings.ToLower(p.Architecture), strings.ToLower(p.Variant))
	if len(p.OSFeatures) > 0 {
		p.OSFeatures = slices.Compact(slices.Sorted(slices.Values(p.OSFeatures)))
	}
	return p
}

func normalizeArch(arch, variant string) (string, string) {
	switch arch {
	case "i386":
		return "386", ""
	case "x86_64", "x86-64", "amd64":
		if variant == "v1" {
			variant = ""
		}
		return "amd64", variant
	case "aarch64", "arm64":
		switch variant {
		case "8", "v8", "v8.0":
			variant = ""
		case "9", "9.0", "v9.0":
			variant = "v9"
		}
		return "arm64", variant
	case "armhf":
		return "arm", "v7"
	case "armel":
		return "arm", "v6"
	case "arm":
		switch variant {
		case "", "7":
			variant = "v7"
		case "5", "6", "8":
			variant = "v" + variant
		}
	}
	return arch, variant
}

// FormatPlatform is the inverse of ParsePlatform, for messages.
func FormatPlatform(p ocispec.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// samePlatform reports whether two platforms name the same target once
// normalised; OS version and features are ignored as BuildKit's matcher
// does for Linux.
func samePlatform(a, b ocispec.Platform) bool {
	a, b = NormalizePlatform(a), NormalizePlatform(b)
	return a.OS == b.OS && a.Architecture == b.Architecture && a.Variant == b.Variant
}

// EmptyImage is the config a stage FROM scratch starts with
// (dockerfile2llb/image.go: emptyImage): the platform, rootfs type "layers",
// WorkingDir "/" and the default PATH (none on Windows). Instructions are
// then applied to it by the executor.
func EmptyImage(platform ocispec.Platform) dockerspec.DockerOCIImage {
	img := dockerspec.DockerOCIImage{}
	img.Architecture = platform.Architecture
	img.OS = platform.OS
	img.OSVersion = platform.OSVersion
	if platform.OSFeatures != nil {
		img.OSFeatures = slices.Clone(platform.OSFeatures)
	}
	img.Variant = platform.Variant
	img.RootFS.Type = "layers"
	img.Config.WorkingDir = "/"
	if platform.OS != "windows" {
		img.Config.Env = []string{defaultPathEnv}
	}
	return img
}

// FromBase is the config a stage FROM an image starts with: a deep copy of
// the base config with Created cleared, as the frontend does (convert.go:
// "img.Created = nil"). Keep the unmodified base too and pass it as
// Input.Base: the exporter needs it to keep the base's history times and
// layer blobs.
func FromBase(base dockerspec.DockerOCIImage) dockerspec.DockerOCIImage {
	img := Clone(base)
	img.Created = nil
	return img
}

// Clone is dockerfile2llb/image.go: clone, a deep copy of everything
// dispatching mutates, so that the executor can change the result without
// touching the original (a base stage's image, an immutable base config).
func Clone(src dockerspec.DockerOCIImage) dockerspec.DockerOCIImage {
	img := src
	img.OSFeatures = slices.Clone(src.OSFeatures)
	img.RootFS.DiffIDs = slices.Clone(src.RootFS.DiffIDs)
	img.Config.Env = slices.Clone(src.Config.Env)
	img.Config.Cmd = slices.Clone(src.Config.Cmd)
	img.Config.Entrypoint = slices.Clone(src.Config.Entrypoint)
	img.Config.OnBuild = slices.Clone(src.Config.OnBuild)
	img.Config.ExposedPorts = maps.Clone(src.Config.ExposedPorts)
	img.Config.Volumes = maps.Clone(src.Config.Volumes)
	img.Config.Labels = maps.Clone(src.Config.Labels)
	img.Config.Shell = slices.Clone(src.Config.Shell)
	if src.Config.Healthcheck != nil {
		hc := *src.Config.Healthcheck
		hc.Test = slices.Clone(src.Config.Healthcheck.Test)
		img.Config.Healthcheck = &hc
	}
	img.History = slices.Clone(src.History)
	return img
}
