package recipegen

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden recipes in testdata/")

// goldenSeeds are the seeds whose trees are pinned in testdata/: a change
// to the generator shows up in review as a change of these files.
var goldenSeeds = []int64{1, 2, 3, 42}

func TestGoldens(t *testing.T) {
	for _, seed := range goldenSeeds {
		file := filepath.Join("testdata", fmt.Sprintf("seed-%d.txt", seed))
		got := Generate(seed).Dump()
		if *update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test ./tests/parity/recipegen -update)", err)
		}
		if got != string(want) {
			t.Errorf("seed %d: the generated tree differs from %s; if the generator change is intended, run go test ./tests/parity/recipegen -update and review the diff", seed, file)
		}
	}
}

// TestDeterministic: the same seed gives the same bytes twice, also for
// the written tree (archives included).
func TestDeterministic(t *testing.T) {
	for seed := int64(0); seed < 50; seed++ {
		if a, b := Generate(seed).Dump(), Generate(seed).Dump(); a != b {
			t.Fatalf("seed %d: two generations differ", seed)
		}
	}
	// The second write runs under another umask and in a later second of
	// the clock: neither may show in the tree.
	dirs := []string{t.TempDir(), t.TempDir()}
	for i, d := range dirs {
		if i == 1 {
			old := syscall.Umask(0o077)
			defer syscall.Umask(old)
			time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second + 10*time.Millisecond)))
		}
		if err := Generate(7).Write(d, "/bin/busybox"); err != nil {
			t.Fatal(err)
		}
	}
	a, b := snapshot(t, dirs[0]), snapshot(t, dirs[1])
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("two writes of seed 7 differ:\n%v\n%v", a, b)
	}
}

// snapshot lists every file under root with its mode, mtime and content.
func snapshot(t *testing.T, root string) []string {
	var out []string
	err := filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		line := fmt.Sprintf("%s %v %d", rel, fi.Mode(), fi.ModTime().Unix())
		if fi.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			line += fmt.Sprintf(" %x", data)
		}
		if rel == "." {
			line = "."
		}
		out = append(out, line)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	writeDir  = flag.String("write", "", "TestWrite: write the tree of -seed here, to build it by hand")
	writeSeed = flag.Int64("seed", 1, "TestWrite: the seed")
)

// TestWrite writes one seed's tree when -write is given:
// go test ./tests/parity/recipegen -run TestWrite -write /tmp/t -seed 5
func TestWrite(t *testing.T) {
	if *writeDir == "" {
		t.Skip("no -write")
	}
	if err := Generate(*writeSeed).Write(*writeDir, "/bin/busybox"); err != nil {
		t.Fatal(err)
	}
}
