package recipes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Image references are recorded on the target (first use of each, sorted),
// malformed ones are problems at their line.
func TestLoadImageRefs(t *testing.T) {
	for _, tc := range []struct {
		name, containerfile string
		want                []string // name@line of Target.ImageRefs
		problems            []string
	}{
		{
			name:          "from and copy",
			containerfile: "ARG TAG=3.20\nFROM alpine:${TAG} AS base\nFROM scratch\nCOPY --from=base /a /a\nCOPY --from=127.0.0.1:5000/x/y@sha256:" + goodHash + " /b /b\nCOPY --from=alpine:3.20 /c /c\n",
			want:          []string{"127.0.0.1:5000/x/y@sha256:" + goodHash + "@5", "alpine:3.20@2"},
		},
		{
			name:          "once per platform",
			containerfile: "ARG P=linux/386\nFROM --platform=$P alpine:3.20 AS a\nFROM alpine:3.20\nCOPY --from=a / /\nCOPY --from=alpine:3.20 /x /x\n",
			want:          []string{"alpine:3.20@2 linux/386", "alpine:3.20@3"},
		},
		{
			name:          "stages and contexts are not images",
			containerfile: "FROM scratch AS a\nFROM a\nCOPY --from=fetch . /\n",
		},
		{
			name:          "malformed",
			containerfile: "FROM Alpine:3\nCOPY --from=x:bad:tag / /\nCOPY --from=y@sha256:12 / /\n",
			problems: []string{
				"packages/core/a/Containerfile:1: FROM Alpine:3: not a stage of this file, not stagex/<target>, not scratch and not a valid image reference (invalid reference format: repository name (library/Alpine) must be lowercase); write [registry/]repository[:tag][@sha256:digest] in lowercase",
				"packages/core/a/Containerfile:2: COPY --from x:bad:tag: not a stage of this file, not stagex/<target>, not scratch and not a valid image reference (invalid reference format); write [registry/]repository[:tag][@sha256:digest] in lowercase",
				"packages/core/a/Containerfile:3: COPY --from y@sha256:12: not a stage of this file, not stagex/<target>, not scratch and not a valid image reference (invalid reference format); write [registry/]repository[:tag][@sha256:digest] in lowercase",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := writeTree(t, map[string]string{
				"packages/core/a/package.toml":  "[package]\nname = \"a\"\n",
				"packages/core/a/Containerfile": tc.containerfile,
			})
			tree, err := Load(root, Options{})
			var ps Problems
			if errors.As(err, &ps) {
				var got []string
				for _, p := range ps {
					got = append(got, p.String())
				}
				if diff := cmp.Diff(tc.problems, got); diff != "" {
					t.Fatalf("problems (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.problems != nil {
				t.Fatalf("no problems, want %q", tc.problems)
			}
			var got []string
			for _, r := range tree.Targets[0].ImageRefs {
				got = append(got, strings.TrimSpace(fmt.Sprintf("%s@%d %s", r.Name, r.Pos.Line, r.Platform)))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("image refs (-want +got):\n%s", diff)
			}
		})
	}
}
