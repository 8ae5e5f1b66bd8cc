package architecture

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/stevedore-build/stevedore"

// forbidden lists, per package pattern, dependencies that would break the
// one-way data flow (recipes -> plan -> fetch -> sandbox -> layers ->
// assemble -> digests -> export).
var forbidden = []struct {
	pkg  string
	deny []string
}{
	{"recipes", []string{"net", "net/http", module + "/sandbox", module + "/layers", module + "/assemble", "github.com/opencontainers/runc"}},
	{"recipes/containerfile", []string{"net", "net/http", "os/exec", module + "/sandbox"}},
	{"recipes/plan", []string{"net/http", module + "/sandbox"}},
	{"recipes/fetch", []string{module + "/sandbox", module + "/recipes/plan", module + "/recipes/containerfile", "github.com/opencontainers/runc"}},
	{"layers", []string{"net", "net/http", module + "/sandbox", module + "/recipes"}},
	{"digests", []string{module + "/sandbox"}},
	{"internal/atomicfile", []string{"net", "net/http", module + "/sandbox", module + "/recipes", module + "/assemble"}},
	{"internal/lock", []string{"net", "net/http", module + "/sandbox", module + "/recipes", module + "/assemble", module + "/layers"}},
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

func TestLayering(t *testing.T) {
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
