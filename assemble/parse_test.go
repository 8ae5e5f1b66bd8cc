package assemble

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
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
	return parsePlan(tg)
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
		{"FROM scratch\nCOPY --from=later /a /a\nFROM scratch AS later\n", `Containerfile:2: cannot copy from stage "later", it needs to be defined before current stage "stage-0"`},
		{"FROM scratch AS a\nFROM scratch\nCOPY --from=$X /a /b\n", "variable expansion is not supported for --from"},
		{"FROM alpine\n", "Containerfile:1: FROM alpine: not an earlier stage"},
		{"FROM scratch\nCOPY --from=5 /a /b\n", "invalid stage index 5"},
	}
	for _, tt := range tests {
		_, err := planOf(t, tt.cf, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.cf, err, tt.want)
		}
	}
	_, err := planOf(t, "FROM scratch AS a\n", func(tg *Target) { tg.StageTarget = "nope" })
	if err == nil || !strings.Contains(err.Error(), `target stage "nope" could not be found`) {
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
