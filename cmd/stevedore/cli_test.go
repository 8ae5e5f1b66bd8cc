package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// runMain runs stevedore with args and returns its exit code and output.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	bad := t.TempDir()
	os.MkdirAll(filepath.Join(bad, "packages/core/x"), 0o755)
	os.WriteFile(filepath.Join(bad, "packages/core/x/package.toml"), []byte("[package]\n"), 0o644)
	os.WriteFile(filepath.Join(bad, "packages/core/x/Containerfile"), []byte("FROM scratch\n"), 0o644)
	tests := []struct {
		name    string
		args    []string
		code    int
		errText string
	}{
		{"help", []string{"--help"}, 0, ""},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"plan", "--frob"}, 2, "unknown flag: --frob"},
		{"bad tree", []string{"--tree", bad, "plan"}, 1, "packages/core/x/package.toml:1: package.name: missing"},
		{"no tree", []string{"--tree", filepath.Join(bad, "nope"), "plan"}, 1, "no packages/ directory"},
		{"unknown target", []string{"--tree", "../../examples", "plan", "nosuch"}, 1, `"nosuch" is not a target`},
		{"bad progress", []string{"--tree", "../../examples", "fetch", "--progress=loud"}, 2, "--progress=loud"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runMain(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.errText) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.errText)
			}
		})
	}
}

// Every command documents itself with an example.
func TestEveryCommandHasExample(t *testing.T) {
	for _, c := range newRootCmd().Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		var check func(cmdPath []string)
		check = func(cmdPath []string) {
			code, out, _ := runMain(t, append(cmdPath, "--help")...)
			if code != 0 || !strings.Contains(out, "Examples:") {
				t.Errorf("stevedore %s --help: exit %d, no Examples section", strings.Join(cmdPath, " "), code)
			}
		}
		check([]string{c.Name()})
		for _, sub := range c.Commands() {
			check([]string{c.Name(), sub.Name()})
		}
	}
}

func TestPlanJSONExamples(t *testing.T) {
	code, out, stderr := runMain(t, "--tree", "../../examples", "plan", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, e := range entries {
		order = append(order, e["target"].(string))
		for _, k := range []string{"target", "stage", "name", "origin", "version", "platforms", "deps", "build_args", "stage_target"} {
			if _, ok := e[k]; !ok {
				t.Errorf("%s: no %q", e["target"], k)
			}
		}
	}
	want := []string{"bootstrap-seed", "core-box", "core-filesystem", "core-hello", "core-greeting", "core-hello-doc"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	byName := map[string]map[string]any{}
	for _, e := range entries {
		byName[e["target"].(string)] = e
	}
	doc := byName["core-hello-doc"]
	if doc["stage_target"] != "package-hello-doc" || doc["origin"] != "hello" || doc["version"] != "2.1.0" {
		t.Errorf("subpackage entry = %v", doc)
	}
	if v := byName["core-greeting"]["version"]; v != "2.1.0" {
		t.Errorf("version_from: core-greeting version = %v", v)
	}
	if diff := cmp.Diff([]any{"bootstrap-seed", "core-box", "core-filesystem"}, byName["core-hello"]["deps"]); diff != "" {
		t.Errorf("core-hello deps (-want +got):\n%s", diff)
	}
	args := byName["core-hello"]["build_args"].(map[string]any)
	if args["GREETING_SOURCE"] != "hello-greeting-0.3.patch" || args["GREETING_VERSION"] != "0.3" {
		t.Errorf("per-source args = %v", args)
	}
}

// fetchTree writes a one-package tree whose source is served by srv at
// /good (right bytes) and /bad (corrupted), after a dead first mirror.
func fetchTree(t *testing.T, content []byte, mirrors ...string) string {
	t.Helper()
	sum := sha256.Sum256(content)
	root := t.TempDir()
	dir := filepath.Join(root, "packages/core/zlib")
	os.MkdirAll(dir, 0o755)
	var quoted []string
	for _, m := range mirrors {
		quoted = append(quoted, fmt.Sprintf("%q", m))
	}
	toml := fmt.Sprintf("[package]\nname = \"zlib\"\nversion = \"1.3.1\"\n\n[sources.zlib]\nhash = %q\nfile = \"zlib-{version}.tar.gz\"\nmirrors = [%s]\n",
		hex.EncodeToString(sum[:]), strings.Join(quoted, ", "))
	os.WriteFile(filepath.Join(dir, "package.toml"), []byte(toml), 0o644)
	os.WriteFile(filepath.Join(dir, "Containerfile"), []byte("FROM scratch\nADD fetch/zlib-${VERSION}.tar.gz /\n"), 0o644)
	return root
}

func deadURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/{file}"
}

func TestFetchCommand(t *testing.T) {
	content := []byte("zlib source bytes")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasPrefix(r.URL.Path, "/good/"):
			w.Write(content)
		case strings.HasPrefix(r.URL.Path, "/bad/"):
			w.Write([]byte("zlib source bytez"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	t.Run("dead first mirror", func(t *testing.T) {
		root := fetchTree(t, content, deadURL(t), srv.URL+"/missing/{file}", srv.URL+"/good/{version}/{file}")
		code, _, stderr := runMain(t, "--tree", root, "fetch", "--retries=0", "--progress=plain")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, p := range []string{"fetch/core/zlib/zlib-1.3.1.tar.gz", "packages/core/zlib/fetch/zlib-1.3.1.tar.gz"} {
			got, err := os.ReadFile(filepath.Join(root, p))
			if err != nil || !bytes.Equal(got, content) {
				t.Errorf("%s = %q, %v", p, got, err)
			}
		}
	})
	t.Run("corrupted mirror", func(t *testing.T) {
		root := fetchTree(t, content, srv.URL+"/bad/{file}")
		code, _, stderr := runMain(t, "--tree", root, "fetch", "--retries=0", "--progress=quiet")
		if code != 1 || !strings.Contains(stderr, srv.URL+"/bad/zlib-1.3.1.tar.gz") || !strings.Contains(stderr, "core-zlib") {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
		entries, _ := os.ReadDir(filepath.Join(root, "fetch/core/zlib"))
		if len(entries) != 0 {
			t.Errorf("fetch dir holds %v after a refused file", entries)
		}
	})
	t.Run("offline empty cache", func(t *testing.T) {
		root := fetchTree(t, content, srv.URL+"/good/{file}")
		code, _, stderr := runMain(t, "--tree", root, "fetch", "--offline", "--progress=quiet")
		if code != 1 || !strings.Contains(stderr, "zlib-1.3.1.tar.gz") || !strings.Contains(stderr, filepath.Join(root, "fetch/core/zlib")) {
			t.Fatalf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("mirror dir", func(t *testing.T) {
		root := fetchTree(t, content, deadURL(t))
		mirror := t.TempDir()
		os.WriteFile(filepath.Join(mirror, "zlib-1.3.1.tar.gz"), content, 0o644)
		code, _, stderr := runMain(t, "--tree", root, "fetch", "--offline", "--mirror-dir", mirror, "--progress=quiet")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	})
}
