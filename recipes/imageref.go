package recipes

import (
	"github.com/distribution/reference"

	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// imageRefs keeps the first use of each valid image reference for each
// platform (refs are sorted by name, then line) and reports the malformed
// ones at their line.
//
// The syntax check is distribution/reference's, which accepts what
// go-containerregistry's name.ParseReference accepts for the references a
// Containerfile holds ([registry/]repo[:tag][@digest], lowercase
// repository); go-containerregistry's name package is not used here because
// it imports net, which recipes must not.
func imageRefs(refs []containerfile.Ref, probs *problemList) []containerfile.Ref {
	var out []containerfile.Ref
	seen := map[string]bool{}
	for _, r := range refs {
		if seen[r.Name+" "+r.Platform] {
			continue
		}
		seen[r.Name+" "+r.Platform] = true
		if seen[r.Name+" invalid"] {
			continue
		}
		if _, err := reference.ParseNormalizedNamed(r.Name); err != nil {
			seen[r.Name+" invalid"] = true
			probs.add(r.Pos.File, r.Pos.Line, "", "%s %s: not a stage of this file, not stagex/<target>, not scratch and not a valid image reference (%v); write [registry/]repository[:tag][@sha256:digest] in lowercase", r.How, r.Name, err)
			continue
		}
		out = append(out, r)
	}
	return out
}
