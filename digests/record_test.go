package digests

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/digests/internal/ocitest"
	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

func hexHash(c string) v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat(c, 64)} }

func TestStageOf(t *testing.T) {
	tests := []struct{ target, want string }{
		{"core-gcc", "core"},
		{"bootstrap-stage0", "bootstrap"},
		{"user-foo-bar", "user"},
		{"pallet-go_1.2", "pallet"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			got, err := StageOf(tt.target)
			if err != nil || got != tt.want {
				t.Errorf("StageOf(%q) = %q, %v, want %q", tt.target, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "gcc", "-gcc", "core-", "../x-y", "core-a/b", "Core-x"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := StageOf(bad); err == nil {
				t.Errorf("StageOf(%q) = nil error, want one", bad)
			}
		})
	}
}

func TestParseRecords(t *testing.T) {
	a, b := strings.Repeat("a", 64), strings.Repeat("b", 64)
	got, err := ParseRecords(strings.NewReader(b+" core-zlib\n\n"+a+" core-gcc\r\n"), "x")
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{"core-zlib", hexHash("b")}, {"core-gcc", hexHash("a")}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseRecords (-want +got):\n%s", diff)
	}
	for name, in := range map[string]string{
		"short hex":  "abc core-gcc\n",
		"upper hex":  strings.ToUpper(a) + " core-gcc\n",
		"no name":    a + "\n",
		"bad name":   a + " gcc\n",
		"duplicate":  a + " core-gcc\n" + b + " core-gcc\n",
		"two spaces": a + "  core-gcc\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ParseRecords(strings.NewReader(in), "x"); err == nil {
				t.Errorf("ParseRecords(%q) = nil error, want one", in)
			}
		})
	}
}

func TestWriteStageSortedAndRoundTrip(t *testing.T) {
	tree := t.TempDir()
	recs := []Record{{"core-zlib", hexHash("b")}, {"core-gcc", hexHash("a")}}
	if err := WriteStage(tree, "core", recs); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(StagePath(tree, "core"))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Repeat("a", 64) + " core-gcc\n" + strings.Repeat("b", 64) + " core-zlib\n"
	if string(b) != want {
		t.Errorf("digests/core.txt = %q, want %q", b, want)
	}
	if err := WriteStage(tree, "core", []Record{{"user-x", hexHash("c")}}); err == nil {
		t.Error("WriteStage of a user- target into core.txt: nil error, want one")
	}
	left, _ := filepath.Glob(filepath.Join(tree, "digests", ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

func TestRecordTargetsKeepsOthers(t *testing.T) {
	tree := t.TempDir()
	if err := WriteStage(tree, "core", []Record{{"core-old", hexHash("c")}, {"core-gcc", hexHash("d")}}); err != nil {
		t.Fatal(err)
	}
	gcc := ocitest.WriteLayout(t, OutDir(tree, "core-gcc"), "13")
	foo := ocitest.WriteLayout(t, OutDir(tree, "user-foo-bar"), "")
	got, err := RecordTargets(tree, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []Record{{"core-gcc", gcc}, {"user-foo-bar", foo}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("RecordTargets (-want +got):\n%s", diff)
	}
	core, _ := ReadStage(tree, "core")
	if diff := cmp.Diff([]Record{{"core-gcc", gcc}, {"core-old", hexHash("c")}}, core); diff != "" {
		t.Errorf("digests/core.txt (-want +got):\n%s", diff)
	}
	user, _ := ReadStage(tree, "user")
	if diff := cmp.Diff([]Record{{"user-foo-bar", foo}}, user); diff != "" {
		t.Errorf("digests/user.txt (-want +got):\n%s", diff)
	}
}

func TestWriteFileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f.txt")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			if err := atomicfile.WriteFile(path, []byte(strings.Repeat("x", 1000*i)), 0o644); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	b, _ := os.ReadFile(path)
	if len(b)%1000 != 0 || strings.Trim(string(b), "x") != "" {
		t.Errorf("file has a torn write: %d bytes", len(b))
	}
}

// TestWriteStageSweepsKilledTemps: the temp file a killed `stevedore
// digests` left next to digests/<stage>.txt is removed by the next write.
func TestWriteStageSweepsKilledTemps(t *testing.T) {
	tree := t.TempDir()
	dead := filepath.Join(tree, "digests", ".core.txt.tmp-1")
	if err := os.MkdirAll(filepath.Dir(dead), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dead, []byte("partial"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteStage(tree, "core", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", dead, err)
	}
}
