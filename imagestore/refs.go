package imagestore

import (
	"context"
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// ResolveRefs resolves a target's image references (recipes'
// Target.ImageRefs): each name once, into one layout holding every
// platform it is used with (a reference's Platform, "" meaning target),
// and returns name -> layout directory, the executor's Target.Images.
// Errors name the Containerfile line of the reference's first use.
func (r *Resolver) ResolveRefs(ctx context.Context, refs []containerfile.Ref, target ocispec.Platform) (map[string]string, error) {
	var names []string
	first := map[string]containerfile.Ref{}
	plats := map[string][]ocispec.Platform{}
	for _, ref := range refs {
		p := target
		if ref.Platform != "" {
			var err error
			if p, err = oci.ParsePlatform(ref.Platform); err != nil {
				return nil, fmt.Errorf("%s:%d: %s %s: platform %q is not os/arch[/variant]", ref.Pos.File, ref.Pos.Line, ref.How, ref.Name, ref.Platform)
			}
		}
		if _, ok := first[ref.Name]; !ok {
			first[ref.Name] = ref
			names = append(names, ref.Name)
		}
		plats[ref.Name] = append(plats[ref.Name], p)
	}
	out := map[string]string{}
	for _, n := range names {
		dir, err := r.ResolvePlatforms(ctx, n, plats[n])
		if err != nil {
			ref := first[n]
			return nil, fmt.Errorf("%s:%d: %s %s: %w", ref.Pos.File, ref.Pos.Line, ref.How, ref.Name, err)
		}
		out[n] = dir
	}
	return out, nil
}
