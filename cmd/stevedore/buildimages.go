package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/stevedore-build/stevedore/build/project"
	"github.com/stevedore-build/stevedore/imagestore"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

// newFileResolver is newImageResolver for file mode: the image store in
// the cache folder, the lock file stevedore.lock next to the Containerfile.
func newFileResolver(cacheRoot, file string, o *buildOptions) (*imagestore.Resolver, error) {
	tmp := *o
	r, err := newImageResolverAt(filepath.Join(cacheRoot, "images"), filepath.Join(filepath.Dir(file), "stevedore.lock"), &tmp)
	return r, err
}

// resolveContexts reads --build-context NAME=DIR | oci-layout://DIR[@digest]
// | docker-image://REF into the build's contexts and images.
func resolveContexts(ctx context.Context, r *imagestore.Resolver, in []string, po *project.Options) error {
	po.Contexts, po.Images = map[string]string{}, map[string]string{}
	for _, s := range in {
		name, v, ok := strings.Cut(s, "=")
		if !ok || name == "" || v == "" {
			return usageErrorf("--build-context %q: want NAME=VALUE", s)
		}
		switch {
		case strings.HasPrefix(v, "oci-layout://"):
			dir, dg, _ := strings.Cut(strings.TrimPrefix(v, "oci-layout://"), "@")
			if dg != "" {
				if _, err := os.Stat(filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(dg, "sha256:"))); err != nil {
					return fmt.Errorf("--build-context %s: %s is not in the layout %s", name, dg, dir)
				}
			}
			abs, err := filepath.Abs(dir)
			if err != nil {
				return err
			}
			po.Images[name] = abs
		case strings.HasPrefix(v, "docker-image://"):
			ref := strings.TrimPrefix(v, "docker-image://")
			p := po.Platform
			dir, err := r.ResolveRefs(ctx, []containerfile.Ref{{Name: ref, How: "--build-context", Pos: containerfile.Pos{File: "--build-context " + name}}}, p)
			if err != nil {
				return err
			}
			po.Images[name] = dir[ref]
		case strings.Contains(v, "://"):
			return usageErrorf("--build-context %q: only DIR, oci-layout:// and docker-image:// are supported", s)
		default:
			abs, err := filepath.Abs(v)
			if err != nil {
				return err
			}
			if st, err := os.Stat(abs); err != nil || !st.IsDir() {
				return fmt.Errorf("--build-context %s: %s is not a directory", name, v)
			}
			po.Contexts[name] = abs
		}
	}
	return nil
}

// resolveBaseImages parses the Containerfile (the one parse of the build;
// every unsupported instruction is reported with its line), finds the image
// references the target stage needs (FROM, COPY --from and RUN --mount
// from= that are neither stages nor contexts) and resolves them through
// the image store.
func resolveBaseImages(ctx context.Context, r *imagestore.Resolver, po *project.Options) error {
	f, err := project.ReadContainerfile(po.Containerfile)
	if err != nil {
		return err
	}
	po.File = f
	refs, err := project.ImageRefs(*po)
	if err != nil || len(refs) == 0 {
		return err
	}
	dirs, err := r.ResolveRefs(ctx, refs, po.Platform)
	if err != nil {
		return err
	}
	for n, d := range dirs {
		po.Images[n] = d
	}
	return nil
}
