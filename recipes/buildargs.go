package recipes

import "strings"

// Options are the explicit inputs of loading a tree.
type Options struct {
	// SourceDateEpoch is passed as the SOURCE_DATE_EPOCH build argument
	// (StageX: "1").
	SourceDateEpoch string
	// Platform is used for packages that set no platforms (default linux/amd64).
	Platform string
}

func (o Options) withDefaults() Options {
	if o.SourceDateEpoch == "" {
		o.SourceDateEpoch = "1"
	}
	if o.Platform == "" {
		o.Platform = DefaultPlatform
	}
	return o
}

// DockerfileCheck is the BUILDKIT_DOCKERFILE_CHECK build argument StageX
// passes to every build (BuildKit's lint checks as errors, but one). It is
// a build argument like any other to stevedore, which does not run
// BuildKit's lint checks.
const DockerfileCheck = "skip=FromPlatformFlagConstDisallowed;error=true"

// buildArgs derives the --build-arg set StageX's generator (src/targets.py)
// passes for a package's targets: the fixed three, the VERSION forms when
// the package has a version, and per source <KEY>_VERSION and <KEY>_SOURCE
// when the source sets its own version and <KEY>_GIT_SHA when it has one.
func buildArgs(p *Package, epoch string) map[string]string {
	args := map[string]string{
		"SOURCE_DATE_EPOCH":         epoch,
		"BUILDKIT_MULTI_PLATFORM":   "1",
		"BUILDKIT_DOCKERFILE_CHECK": DockerfileCheck,
	}
	if p.Version != "" {
		f := Forms(p.Version)
		args["VERSION"] = f.Version
		args["VERSION_UNDER"] = f.Under
		args["VERSION_DASH"] = f.Dash
		args["VERSION_MAJOR"] = f.Major
		args["VERSION_MAJOR_MINOR"] = f.MajorMinor
		args["VERSION_STRIP_SUFFIX"] = f.StripSuffix
	}
	for _, s := range p.Sources {
		key := strings.ToUpper(s.Key)
		if s.OwnVersion {
			args[key+"_VERSION"] = s.Version
			args[key+"_SOURCE"] = s.argFile
		}
		if s.GitSHA != "" {
			args[key+"_GIT_SHA"] = s.GitSHA
		}
	}
	return args
}
