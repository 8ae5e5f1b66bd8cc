package imagestore

import (
	"context"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/oci/layout"
	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

func TestResolveRefs(t *testing.T) {
	ix := testIndex(t)
	src, err := ParseSource(writeLayout(t, ix, "example.test/base:1"))
	if err != nil {
		t.Fatal(err)
	}
	pos := func(line int) containerfile.Pos {
		return containerfile.Pos{File: "packages/core/a/Containerfile", Line: line}
	}
	target := ocispec.Platform{OS: "linux", Architecture: "amd64"}
	for _, tc := range []struct {
		name    string
		refs    []containerfile.Ref
		plats   []string // platforms the layout must hold
		wantErr string
	}{
		{
			name: "target and FROM --platform",
			refs: []containerfile.Ref{
				{Name: "example.test/base:1", Pos: pos(1), How: "FROM", Platform: "linux/arm64"},
				{Name: "example.test/base:1", Pos: pos(3), How: "COPY --from"},
			},
			plats: []string{"arm64", "amd64"},
		},
		{
			name:    "unknown tag names its line",
			refs:    []containerfile.Ref{{Name: "example.test/base:2", Pos: pos(7), How: "COPY --from"}},
			wantErr: "packages/core/a/Containerfile:7: COPY --from example.test/base:2: resolve example.test/base:2: no source has it",
		},
		{
			name:    "bad platform",
			refs:    []containerfile.Ref{{Name: "example.test/base:1", Pos: pos(2), How: "FROM", Platform: "linux"}},
			wantErr: `packages/core/a/Containerfile:2: FROM example.test/base:1: platform "linux" is not os/arch[/variant]`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newResolver(t, Options{Sources: []Source{src}})
			got, err := r.ResolveRefs(context.Background(), tc.refs, target)
			if tc.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			dir := got["example.test/base:1"]
			for _, arch := range tc.plats {
				if _, err := layout.Dir(dir).Resolve(ocispec.Platform{OS: "linux", Architecture: arch}); err != nil {
					t.Errorf("%s: %v", arch, err)
				}
			}
		})
	}
}
