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

// buildArgs derives the --build-arg set StageX passes for a package.
func buildArgs(p *Package, epoch string) map[string]string {
	args := map[string]string{
		"SOURCE_DATE_EPOCH":       epoch,
		"BUILDKIT_MULTI_PLATFORM": "1",
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
			args[key+"_SOURCE"] = expand(s.FileTemplate, sourceArgVars(s.Version, p.Version, s.Format))
		}
		if s.GitSHA != "" {
			args[key+"_GIT_SHA"] = s.GitSHA
		}
	}
	return args
}
