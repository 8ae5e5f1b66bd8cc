// Package sources turns a tree's targets into the fetcher's plain items and
// links fetched files into the package directories, keeping the tree model
// free of network code.
package sources

import (
	"fmt"
	"path/filepath"

	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/fetch"
)

// Items lists the source files of targets, once per origin package,
// as the fetcher's plain items: fetch/<stage>/<origin>/<file> under the tree.
func Items(t *recipes.Tree, targets []*recipes.Target) []fetch.Item {
	var items []fetch.Item
	for _, p := range origins(targets) {
		for _, s := range p.Sources {
			items = append(items, fetch.Item{
				Package: p.ID(),
				Key:     s.Key,
				File:    s.File,
				SHA256:  s.Hash,
				URLs:    s.Mirrors,
				Dest:    filepath.Join(t.Root, "fetch", p.Stage, p.Name),
			})
		}
	}
	return items
}

// Link makes each origin's fetched files available in
// packages/<stage>/<origin>/fetch/, as StageX does before a build, so that
// recipes can `ADD fetch/<file>` from the main context.
func Link(t *recipes.Tree, targets []*recipes.Target) error {
	for _, p := range origins(targets) {
		if len(p.Sources) == 0 {
			continue
		}
		src := filepath.Join(t.Root, "fetch", p.Stage, p.Name)
		if err := fetch.LinkInto(src, filepath.Join(p.Dir, "fetch")); err != nil {
			return fmt.Errorf("link sources of %s: %w", p.ID(), err)
		}
	}
	return nil
}

// origins returns the distinct origin packages of targets, in order.
func origins(targets []*recipes.Target) []*recipes.Package {
	seen := map[*recipes.Package]bool{}
	var out []*recipes.Package
	for _, tg := range targets {
		if !seen[tg.Origin] {
			seen[tg.Origin] = true
			out = append(out, tg.Origin)
		}
	}
	return out
}
