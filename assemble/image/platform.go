package image

import (
	"maps"
	"slices"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// defaultPathEnv is BuildKit's util/system.DefaultPathEnvUnix, the PATH an
// image built FROM scratch gets.
const defaultPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

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
