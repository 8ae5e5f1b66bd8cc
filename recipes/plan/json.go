package plan

import (
	"github.com/stevedore-build/stevedore/recipes"
)

// Entry is one target of `stevedore plan --json`.
type Entry struct {
	Target        string            `json:"target"`
	Stage         string            `json:"stage"`
	Name          string            `json:"name"`
	Origin        string            `json:"origin"`
	Version       string            `json:"version"`
	Platforms     []string          `json:"platforms"`
	Deps          []string          `json:"deps"`
	BuildArgs     map[string]string `json:"build_args"`
	StageTarget   string            `json:"stage_target"`
	Containerfile string            `json:"containerfile"`
	FetchDir      string            `json:"fetch_dir"`
	Sources       []SourceEntry     `json:"sources"`
	// Images are the image references (FROM/COPY --from) the target uses
	// besides stagex/<target>, as written after ARG expansion.
	Images []string `json:"images"`
}

// SourceEntry is one source file of a target.
type SourceEntry struct {
	Key     string   `json:"key"`
	File    string   `json:"file"`
	SHA256  string   `json:"sha256"`
	Mirrors []string `json:"mirrors"`
}

// Entries describes ordered targets for machines. platform is what targets
// without platforms of their own build for.
func Entries(ordered []*recipes.Target, platform string) []Entry {
	out := make([]Entry, 0, len(ordered))
	for _, tg := range ordered {
		plats := tg.Platforms
		if len(plats) == 0 {
			plats = []string{platform}
		}
		e := Entry{
			Target: tg.Name, Stage: tg.Stage, Name: tg.Package, Origin: tg.Origin.Name,
			Version: tg.Version, Platforms: plats, Deps: nonNil(tg.Deps), BuildArgs: tg.BuildArgs,
			StageTarget: tg.StageTarget, Containerfile: tg.Origin.ContainerfilePath,
			FetchDir: tg.FetchDir, Sources: []SourceEntry{}, Images: []string{},
		}
		for _, r := range tg.ImageRefs {
			if n := len(e.Images); n == 0 || e.Images[n-1] != r.Name {
				e.Images = append(e.Images, r.Name)
			}
		}
		for _, s := range tg.Origin.Sources {
			e.Sources = append(e.Sources, SourceEntry{Key: s.Key, File: s.File, SHA256: s.Hash, Mirrors: s.Mirrors})
		}
		out = append(out, e)
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
