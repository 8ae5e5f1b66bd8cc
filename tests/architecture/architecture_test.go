package architecture

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

const module = "github.com/stevedore-build/stevedore"

// layers ranks every top-level folder of the module: a package may import
// packages of its own folder and of lower layers, never of a higher layer
// nor of another folder of the same layer (peers stay independent). A
// build's data flows cmd -> build -> assemble -> {recipes, sandbox, layers,
// oci}; docs/architecture.md draws it. A new folder needs a line here.
var layers = map[string]int{
	"internal":   0, // atomicfile (the one crash-safe writer), lock
	"oci":        1, // the platform type, annotations; oci/layout reads and writes layouts, oci/transport opens images
	"recipes":    2, // the package tree, the Containerfile, the plan, fetching
	"sandbox":    2, // one process in a rootfs
	"layers":     2, // canonical tar, diff, unpack
	"assemble":   3, // the executor and BuildKit-exact image bytes
	"digests":    3, // record, verify, sign, explain
	"imagestore": 3, // image references resolved into the store (oci/layout, not assemble)
	"build":      4, // the tree conductor and file mode (build/project)
	"exchange":   4, // export, push, containerd import, bundles
	"cmd":        5, // flags, environment, progress: the CLI only
	"tests":      6, // end-to-end suites may import anything
}

// forbidden lists, per package pattern, dependencies (direct or not) a
// package must not have even where the layers allow them.
var forbidden = []struct {
	pkg  string
	deny []string
}{
	{"oci", []string{"net", "net/http", module + "/sandbox", module + "/recipes", module + "/layers", module + "/assemble"}},
	{"oci/transport", []string{"net/http", module + "/sandbox", module + "/recipes", module + "/assemble"}},
	{"recipes", []string{"net", "net/http", module + "/sandbox", module + "/layers", module + "/assemble", "github.com/opencontainers/runc"}},
	{"recipes/containerfile", []string{"net", "net/http", "os/exec", module + "/sandbox"}},
	{"recipes/plan", []string{"net/http", module + "/sandbox"}},
	{"recipes/fetch", []string{module + "/sandbox", module + "/recipes/plan", module + "/recipes/containerfile", module + "/internal", module + "/oci", "github.com/opencontainers/runc"}},
	{"layers", []string{"net", "net/http", module + "/sandbox", module + "/recipes"}},
	{"assemble", []string{"net/http", module + "/imagestore", module + "/exchange", module + "/build"}},
	{"digests", []string{module + "/sandbox", module + "/assemble", module + "/layers"}},
	{"digests/explain", []string{module + "/sandbox", module + "/assemble", module + "/exchange"}},
	{"imagestore", []string{module + "/sandbox", module + "/layers", module + "/assemble", module + "/digests", "github.com/opencontainers/runc"}},
	{"exchange/export", []string{module + "/sandbox", module + "/assemble", module + "/layers"}},
	{"exchange/bundle", []string{"net", "net/http", module + "/sandbox", module + "/assemble"}},
	{"exchange/containerd", []string{module + "/sandbox", module + "/assemble"}},
	{"build", []string{module + "/exchange", module + "/imagestore"}},
	{"internal/atomicfile", []string{"net", "net/http", module + "/sandbox", module + "/recipes", module + "/assemble"}},
	{"internal/lock", []string{"net", "net/http", module + "/sandbox", module + "/recipes", module + "/assemble", module + "/layers"}},
}

// imports is the module's import graph as go list draws it: package ->
// the module packages it imports (tests' own imports left out).
func imports(t *testing.T) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", "osusergo,netgo,seccomp", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	g := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := strings.TrimPrefix(f[0], module+"/")
		g[pkg] = nil
		for _, imp := range f[1:] {
			if rel, ok := strings.CutPrefix(imp, module+"/"); ok {
				g[pkg] = append(g[pkg], rel)
			}
		}
	}
	return g
}

// folder is a package's top-level folder.
func folder(pkg string) string {
	top, _, _ := strings.Cut(pkg, "/")
	return top
}

// violations lists every edge of g that goes up a layer or sideways to a
// peer folder, and every folder without a layer.
func violations(g map[string][]string, layers map[string]int) []string {
	var bad []string
	unranked := map[string]bool{}
	for pkg, imps := range g {
		from, ok := layers[folder(pkg)]
		if !ok {
			unranked[folder(pkg)] = true
			continue
		}
		for _, imp := range imps {
			to, ok := layers[folder(imp)]
			switch {
			case !ok:
				unranked[folder(imp)] = true
			case folder(imp) == folder(pkg):
			case to > from:
				bad = append(bad, fmt.Sprintf("%s (layer %d) imports %s (layer %d): a lower layer never imports a higher one", pkg, from, imp, to))
			case to == from:
				bad = append(bad, fmt.Sprintf("%s imports %s: peers of layer %d stay independent", pkg, imp, from))
			}
		}
	}
	for f := range unranked {
		bad = append(bad, fmt.Sprintf("folder %s/ has no layer: add it to layers", f))
	}
	sort.Strings(bad)
	return bad
}

// TestLayers: no package imports a package of a higher layer or of a peer
// folder, measured from go list.
func TestLayers(t *testing.T) {
	g := imports(t)
	if len(g) < 20 || g["cmd/stevedore"] == nil {
		t.Fatalf("go list found %d packages; the graph is not the module's", len(g))
	}
	for _, v := range violations(g, layers) {
		t.Error(v)
	}
}

// TestViolationsReported: the check itself reports an upward edge, a peer
// edge and an unranked folder, and passes a downward one.
func TestViolationsReported(t *testing.T) {
	for _, tc := range []struct {
		name string
		g    map[string][]string
		want int
	}{
		{"downward", map[string][]string{"cmd/stevedore": {"build", "oci"}, "build": {"assemble"}, "assemble": {"recipes", "oci/transport"}}, 0},
		{"same folder", map[string][]string{"assemble": {"assemble/image"}, "assemble/image": {"internal/atomicfile"}}, 0},
		{"upward", map[string][]string{"oci/transport": {"assemble/image"}}, 1},
		{"executor imports conductor", map[string][]string{"assemble": {"build"}}, 1},
		{"peers", map[string][]string{"recipes": {"sandbox"}}, 1},
		{"unranked folder", map[string][]string{"newthing": {"oci"}}, 1},
		{"imports an unranked folder", map[string][]string{"build": {"newthing/x"}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := violations(tc.g, layers); len(got) != tc.want {
				t.Errorf("violations = %q, want %d", got, tc.want)
			}
		})
	}
}

func deps(t *testing.T, pkg string) map[string]bool {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", "-tags", "osusergo,netgo,seccomp", module+"/"+pkg)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s: %v", pkg, err)
	}
	set := map[string]bool{}
	for _, l := range strings.Fields(string(out)) {
		set[l] = true
	}
	return set
}

func TestForbiddenDeps(t *testing.T) {
	for _, f := range forbidden {
		t.Run(f.pkg, func(t *testing.T) {
			got := deps(t, f.pkg)
			for _, d := range f.deny {
				for dep := range got {
					if dep == d || strings.Contains(d, ".") && strings.HasPrefix(dep, d+"/") {
						t.Errorf("%s depends on %s", f.pkg, dep)
					}
				}
			}
		})
	}
}

var envRE = regexp.MustCompile(`\bos\.(Getenv|LookupEnv|Environ|Setenv)\(`)

// Only cmd/ (and tests) read the environment: everything below takes
// explicit parameters.
func TestOnlyCmdReadsEnvironment(t *testing.T) {
	root := "../.."
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			case "cmd", "tests", ".git", "examples", "bin":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || strings.Contains(rel, "test/") || strings.Contains(rel, "test"+string(filepath.Separator)) {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if envRE.MatchString(line) && !strings.Contains(line, "env:allowed") {
				t.Errorf("%s:%d reads the environment outside cmd/: %s", rel, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
