package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/digests/explain"
	"github.com/stevedore-build/stevedore/oci/transport/transporttest"
)

// runCLI runs the stevedore CLI in-process and returns its exit code and
// standard output.
func runCLI(t *testing.T, args ...string) (int, string) {
	t.Helper()
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	var ee *exitError
	switch {
	case err == nil:
		return exitOK, out.String()
	case errors.As(err, &ee):
		msg := ""
		if ee.err != nil {
			msg = ee.err.Error()
		}
		return ee.code, out.String() + errOut.String() + msg
	}
	return exitFailure, out.String() + err.Error()
}

func writeImage(t *testing.T, dir string, mode int64) {
	t.Helper()
	es := transporttest.DefaultEntries()
	es[2].Header.Mode = mode
	blob := transporttest.Gzip(t, transporttest.Tar(t, es), gzip.DefaultCompression, gzip.Header{})
	transporttest.WriteLayout(t, dir, transporttest.Spec{Layers: [][]byte{blob}, Tag: "latest"})
}

func TestDiffCommand(t *testing.T) {
	tree := t.TempDir()
	a, b := filepath.Join(tree, "out", "stage-a"), filepath.Join(tree, "out", "stage-b")
	writeImage(t, a, 0o644)
	writeImage(t, b, 0o600)
	same := filepath.Join(t.TempDir(), "same")
	writeImage(t, same, 0o644)
	ociTar := filepath.Join(t.TempDir(), "a.tar")
	transporttest.WriteOCIArchive(t, a, ociTar)

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
	}{
		{"identical", []string{"diff", a, same}, 0, []string{"identical"}},
		{"identical archive", []string{"diff", "oci-archive:" + ociTar + ":latest", "oci:" + same + ":latest"}, 0, []string{"identical"}},
		{"mode", []string{"diff", a, b}, 1, []string{"etc/b.txt", "mode", "a=0644", "b=0600"}},
		{"tree names", []string{"--tree", tree, "diff", "stage-a", "stage-b"}, 1, []string{"etc/b.txt", "mode"}},
		{"usage", []string{"diff", a}, 2, []string{"want 2 argument"}},
		{"missing", []string{"diff", a, filepath.Join(tree, "nope")}, 1, []string{"nope"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d; output:\n%s", code, tt.wantCode, out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestDiffCommandJSON(t *testing.T) {
	a, b := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	writeImage(t, a, 0o644)
	writeImage(t, b, 0o755)
	code, out := runCLI(t, "diff", "--json", a, b)
	if code != 1 {
		t.Fatalf("exit code = %d, want 1", code)
	}
	var res explain.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	want := []explain.Difference{{Level: explain.LevelTar, Field: "mode", A: "0644", B: "0755"}}
	if len(res.Differences) != 1 {
		t.Fatalf("differences = %+v, want one", res.Differences)
	}
	got := res.Differences[0]
	if got.Level != want[0].Level || got.Field != want[0].Field || got.A != want[0].A || got.B != want[0].B ||
		!strings.HasSuffix(got.Path, ":etc/b.txt") {
		t.Errorf("difference = %+v, want mode of etc/b.txt", got)
	}
}

func TestDiffHelpHasExample(t *testing.T) {
	code, out := runCLI(t, "diff", "--help")
	if code != 0 || !strings.Contains(out, "Example") && !strings.Contains(out, "Examples") {
		t.Errorf("help (code %d) lacks an example:\n%s", code, out)
	}
}
