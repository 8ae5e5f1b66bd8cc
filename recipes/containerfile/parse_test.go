package containerfile

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/parse/*/want golden files")

// TestParseGoldens parses every testdata/parse/<case>/Containerfile and
// compares a dump of the result (or of the errors) with <case>/want.
func TestParseGoldens(t *testing.T) {
	cases, err := filepath.Glob("testdata/parse/*/Containerfile")
	if err != nil || len(cases) == 0 {
		t.Fatalf("no cases: %v", err)
	}
	for _, path := range cases {
		dir := filepath.Dir(path)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got := dump(Parse("Containerfile", data))
			wantPath := filepath.Join(dir, "want")
			if *update {
				if err := os.WriteFile(wantPath, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(wantPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", wantPath, diff)
			}
		})
	}
}

// dump renders a parse result as stable text.
func dump(f *File, err error) string {
	var b strings.Builder
	if err != nil {
		b.WriteString("ERRORS\n")
		for _, e := range err.(Errors) {
			fmt.Fprintf(&b, "%s\n", e)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "escape %q\n", f.Escape)
	for _, a := range f.MetaArgs {
		fmt.Fprintf(&b, "meta %d %s\n", a.Position().Line, jsonOf(a))
	}
	for _, st := range f.Stages {
		fmt.Fprintf(&b, "stage %d name=%q base=%q platform=%q line=%d\n", st.Index, st.Name, st.Base, st.Platform, st.Pos.Line)
		for _, in := range st.Instructions {
			fmt.Fprintf(&b, "  %d %s %s\n", in.Position().Line, in.Keyword(), jsonOf(in))
		}
	}
	return b.String()
}

func jsonOf(v any) string {
	out, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(out)
}

func TestParseKeepsOriginalText(t *testing.T) {
	f, err := Parse("Containerfile", []byte("FROM scratch\nRUN  echo   hi\n"))
	if err != nil {
		t.Fatal(err)
	}
	in := f.Stages[0].Instructions[0]
	if got, want := in.Original(), "RUN  echo   hi"; got != want {
		t.Errorf("Original() = %q, want %q", got, want)
	}
	if in.Command() == nil {
		t.Error("Command() = nil")
	}
}

func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/parse/*/Containerfile")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := Parse("Containerfile", data)
		if err != nil {
			if _, ok := err.(Errors); !ok {
				t.Fatalf("error is %T, want Errors", err)
			}
			return
		}
		if len(file.Stages) == 0 {
			t.Fatal("parsed without stages")
		}
		if _, err := file.Commands(); err != nil {
			t.Fatalf("Commands of a parsed file: %v", err)
		}
		for i, st := range file.Stages {
			if st.Index != i {
				t.Fatalf("stage %d has index %d", i, st.Index)
			}
			for _, in := range st.Instructions {
				if in.Position().Line < st.Pos.Line {
					t.Fatalf("instruction at line %d before its FROM at %d", in.Position().Line, st.Pos.Line)
				}
			}
			// Resolving must never panic, whatever the references.
			_, _ = file.Graph(st.Name, Scope{}, func(n string) bool { return strings.HasPrefix(n, "stagex/") })
		}
	})
}
