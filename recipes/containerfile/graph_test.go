package containerfile

import (
	"strconv"
	"strings"
	"testing"
)

func graphOf(t *testing.T, src, target string, contexts ...string) (*Graph, error) {
	t.Helper()
	f, err := Parse("Containerfile", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	isContext := func(n string) bool {
		for _, c := range contexts {
			if c == n {
				return true
			}
		}
		return false
	}
	return f.Graph(target, Scope{}, isContext)
}

// The one rule: contexts win over stages of the same name (and replace a
// named stage), then earlier stages, scratch, else an image reference.
func TestGraphOneRule(t *testing.T) {
	g, err := graphOf(t, `FROM scratch AS fetch
RUN never
FROM stagex/core-x AS base
FROM base AS build
COPY --from=fetch . /src
RUN --mount=from=alpine:3.20,target=/a true
FROM scratch AS unused
COPY --from=other:1 /a /a
FROM scratch
COPY --from=build /a /a
COPY --from=0 /b /b
`, "", "fetch", "stagex/core-x")
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	for _, st := range g.Stages {
		stages = append(stages, strconv.Itoa(st.Index))
	}
	if got := strings.Join(stages, ","); got != "1,2,4" {
		t.Errorf("stages = %s, want 1,2,4", got)
	}
	if !g.Replaced[0] || g.Base[1].Kind != KindContext || g.Base[2].Kind != KindStage || g.Base[4].Kind != KindScratch {
		t.Errorf("bases resolved wrong: replaced %v, bases %+v", g.Replaced, g.Base)
	}
	if s, ok := g.Lookup(g.Stages[1], "fetch"); !ok || s.Kind != KindContext {
		t.Errorf("COPY --from=fetch = %+v, want the context", s)
	}
	var names []string
	for _, r := range g.Contexts {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, " "); got != "fetch fetch stagex/core-x" {
		t.Errorf("contexts = %q", got)
	}
	if len(g.Images) != 1 || g.Images[0].Name != "alpine:3.20" || g.Images[0].How != HowMount {
		t.Errorf("images = %+v, want the mount's alpine:3.20 only (other:1 is in an unused stage)", g.Images)
	}
}

func TestGraphErrors(t *testing.T) {
	for _, tt := range []struct{ src, target, want string }{
		{"FROM scratch\nCOPY --from=later /a /a\nFROM scratch AS later\n", "", `Containerfile:2: COPY --from later: stage "later" is defined at line 3, not before this one`},
		{"FROM later\nFROM scratch AS later\n", "", `Containerfile:1: FROM later: stage "later" is defined at line 2`},
		{"FROM scratch\nCOPY --from=1 /a /a\nFROM scratch\n", "", "Containerfile:2: COPY --from 1: invalid stage index 1"},
		{"FROM scratch AS a\n", "b", `target stage "b" could not be found in Containerfile, which has stages a`},
		{"FROM --platform=linux scratch\n", "", "Containerfile:1: FROM --platform=linux: want os/arch[/variant]"},
	} {
		_, err := graphOf(t, tt.src, tt.target)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.src, err, tt.want)
		}
	}
}
