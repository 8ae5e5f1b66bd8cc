package fuzzing

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/tests/testenv"
)

// targets are the fuzz targets of stevedore's parsers of untrusted input,
// by package (relative to the repository root).
var targets = []struct{ pkg, name string }{
	{"./recipes", "FuzzLoadPackageTOML"},
	{"./recipes/containerfile", "FuzzParse"},
	{"./assemble", "FuzzAddArchive"},
	{"./layers", "FuzzUnpackTar"},
	{"./assemble/image", "FuzzReadLayout"},
	{"./assemble/transport", "FuzzOpenArchive"},
	{"./assemble/bundle", "FuzzBundle"},
	{"./digests/signature", "FuzzVerify"},
}

// execsRE finds the fuzzer's count of executions in its progress lines.
var execsRE = regexp.MustCompile(`execs: (\d+)`)

// TestFuzzTargets runs each target with go test -fuzz for
// $STEVEDORE_FUZZTIME (default 10s), one after the other.
func TestFuzzTargets(t *testing.T) {
	testenv.Slow(t, "go")
	fuzztime := os.Getenv("STEVEDORE_FUZZTIME")
	if fuzztime == "" {
		fuzztime = "10s"
	}
	start := time.Now()
	var summary []string
	for _, tg := range targets {
		t.Run(tg.name, func(t *testing.T) {
			begin := time.Now()
			cmd := exec.Command("go", "test", "-tags", "osusergo,netgo,seccomp", "-run", "^$",
				"-fuzz", "^"+tg.name+"$", "-fuzztime", fuzztime, "-fuzzminimizetime", "2s", "-parallel", "2", tg.pkg)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
			out, err := cmd.CombinedOutput()
			execs := "?"
			if m := execsRE.FindAllSubmatch(out, -1); len(m) > 0 {
				execs = string(m[len(m)-1][1])
			}
			summary = append(summary, fmt.Sprintf("%s %s execs in %s", tg.name, execs, time.Since(begin).Round(time.Second)))
			if err != nil {
				t.Errorf("go test -fuzz %s %s: %v (a crashing input is now in %s/testdata/fuzz/%s/: fix the bug and commit it)\n%s",
					tg.name, tg.pkg, err, strings.TrimPrefix(tg.pkg, "./"), tg.name, out)
			}
		})
	}
	t.Logf("fuzz summary (%s each): %s; %s in all", fuzztime, strings.Join(summary, ", "), time.Since(start).Round(time.Second))
}
