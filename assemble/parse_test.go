package assemble

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/recipes/containerfile"
)

func planOf(t *testing.T, cf string, mod func(*Target)) (*plan, error) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "Containerfile")
	if err := os.WriteFile(p, []byte(cf), 0o644); err != nil {
		t.Fatal(err)
	}
	tg := Target{Containerfile: p, ContextDir: dir, Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
		Contexts: map[string]string{"fetch": dir}, Images: map[string]string{"stagex/core-x": dir}}
	if mod != nil {
		mod(&tg)
	}
	return parsePlan(parsed(t, tg))
}

// parsed fills in tg.File, parsing tg.Containerfile.
func parsed(t testing.TB, tg Target) Target {
	t.Helper()
	data, err := os.ReadFile(tg.Containerfile)
	if err != nil {
		t.Fatal(err)
	}
	if tg.File, err = containerfile.Parse(tg.Containerfile, data); err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestPlanReachableStages(t *testing.T) {
	p, err := planOf(t, `FROM scratch AS unused
FROM stagex/core-x AS base
FROM base AS build
COPY --from=fetch . /src
FROM scratch AS other
FROM scratch AS package
COPY --from=build /a /a
COPY --from=stagex/core-x /b /b
`, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range p.reachable() {
		if s.index >= 0 {
			got = append(got, s.name)
		}
	}
	if diff := cmp.Diff([]string{"base", "build", "package"}, got); diff != "" {
		t.Errorf("reachable (-want +got):\n%s", diff)
	}
	if p.states[1].imageRef != "stagex/core-x" || p.states[2].base != p.states[1] {
		t.Errorf("base resolution wrong: %+v", p.states[1])
	}
}

// A named context wins over a stage of the same name, as in BuildKit.
func TestPlanNamedContextShadowsStage(t *testing.T) {
	p, err := planOf(t, "FROM scratch AS fetch\nRUN never\nFROM scratch\nCOPY --from=fetch . /x\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if p.states[0].contextDir == "" {
		t.Error("stage fetch was not replaced by the fetch context")
	}
}

func TestPlanGlobalArgsInFrom(t *testing.T) {
	p, err := planOf(t, "ARG BASE=stagex/core-y\nARG TAG\nFROM ${BASE}\n", func(tg *Target) {
		tg.BuildArgs = map[string]string{"BASE": "stagex/core-x"}
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.states[0].stage.BaseName; got != "stagex/core-x" {
		t.Errorf("base = %q, want the build arg's value", got)
	}
	if v, _ := p.globalArgs.Get("TARGETARCH"); v != "amd64" {
		t.Errorf("TARGETARCH = %q", v)
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct{ cf, want string }{
		{"FROM scratch\nCOPY --from=later /a /a\nFROM scratch AS later\n", `Containerfile:2: COPY --from later: stage "later" is defined at line 3, not before this one; a stage can only use earlier stages`},
		{"FROM scratch AS a\nFROM scratch\nCOPY --from=$X /a /b\n", "Containerfile:3: variable expansion is not supported for --from"},
		{"FROM alpine\n", "Containerfile:1: FROM alpine: an image reference this build was given no image for"},
		{"FROM scratch\nCOPY --from=5 /a /b\n", "Containerfile:2: COPY --from 5: invalid stage index 5: no earlier stage has it"},
		{"FROM scratch\nRUN --mount=from=later,target=/x true\nFROM scratch AS later\n", `Containerfile:2: RUN --mount from later: stage "later" is defined at line 3`},
		{"ARG B\nFROM $B\n", "Containerfile:2: base name ($B) should not be blank"},
	}
	for _, tt := range tests {
		_, err := planOf(t, tt.cf, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.cf, err, tt.want)
		}
	}
	_, err := planOf(t, "FROM scratch AS a\n", func(tg *Target) { tg.StageTarget = "nope" })
	if err == nil || !strings.Contains(err.Error(), `target stage "nope" could not be found in `) {
		t.Errorf("missing target: %v", err)
	}
}

// Stage names match case-insensitively, as in BuildKit (it lowercases them).
func TestPlanStageNamesIgnoreCase(t *testing.T) {
	p, err := planOf(t, "FROM scratch AS Build\nFROM scratch\nCOPY --from=BUILD /a /a\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.states[1].deps) != 1 || p.states[1].deps[0] != p.states[0] {
		t.Errorf("COPY --from=BUILD did not resolve to stage build")
	}
}
