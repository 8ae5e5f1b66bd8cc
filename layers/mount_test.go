package layers

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// makeLowers creates n layer dirs named by name(i) under root; layer i
// holds f<i> and x = i, so the merged x tells whether the order is right.
func makeLowers(t *testing.T, root string, n int, name func(int) string) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		d := filepath.Join(root, name(i))
		writeFile(t, filepath.Join(d, "f"+strconv.Itoa(i)), "", 0o644)
		writeFile(t, filepath.Join(d, "x"), strconv.Itoa(i), 0o644)
		out = append(out, d)
	}
	return out
}

func TestMountManyLowers(t *testing.T) {
	requireRoot(t)
	long := strings.Repeat("l", 60)
	cases := []struct {
		name       string
		n          int
		layerName  func(int) string
		wantLegacy bool
	}{
		{"150 short names fit mount(2) relative to their parent", 150, strconv.Itoa, true},
		{"150 long names go through fsconfig lowerdir+", 150, func(i int) string { return fmt.Sprintf("%s%03d", long, i) }, false},
		{"MaxLowers short names still fit mount(2)", MaxLowers, strconv.Itoa, true},
		{"commas and colons are escaped", 3, func(i int) string { return fmt.Sprintf("a,b:c%d", i) }, true},
		{"commas and colons through fsconfig", 100, func(i int) string { return fmt.Sprintf("%s,:%03d", long, i) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := filepath.Join(t.TempDir(), "odd,:name")
			lowers := makeLowers(t, filepath.Join(root, "layers"), tc.n, tc.layerName)
			upper, work, target := filepath.Join(root, "u,:"), filepath.Join(root, "w"), filepath.Join(root, "m")
			for _, d := range []string{upper, work, target} {
				mustOK(t, os.MkdirAll(d, 0o755))
			}
			spec := overlaySpec{lowers: lowers, upper: upper, work: work, target: target}
			_, data := spec.legacyData()
			if legacy := len(data) <= maxOptionBytes(); legacy != tc.wantLegacy {
				t.Errorf("options %d bytes: legacy %v, want %v", len(data), legacy, tc.wantLegacy)
			}
			wd, _ := os.Getwd()
			unmount, err := Mount(lowers, upper, work, target)
			if err != nil {
				t.Fatal(err)
			}
			checkMerged(t, target, tc.n)
			writeFile(t, filepath.Join(target, "new"), "n", 0o644)
			mustOK(t, unmount())
			if _, err := os.Stat(filepath.Join(upper, "new")); err != nil {
				t.Errorf("write did not land in upper: %v", err)
			}
			if now, _ := os.Getwd(); now != wd {
				t.Errorf("working directory changed from %s to %s", wd, now)
			}
			roUnmount, err := MountReadOnly(lowers, target)
			mustOK(t, err)
			checkMerged(t, target, tc.n)
			if err := os.WriteFile(filepath.Join(target, "ro"), nil, 0o644); err == nil {
				t.Error("read-only view accepted a write")
			}
			mustOK(t, roUnmount())
		})
	}
}

func checkMerged(t *testing.T, target string, n int) {
	t.Helper()
	x, err := os.ReadFile(filepath.Join(target, "x"))
	mustOK(t, err)
	if got, want := string(x), strconv.Itoa(n-1); got != want {
		t.Errorf("merged x = %s, want %s (the topmost lower is the last)", got, want)
	}
	for _, i := range []int{0, n / 2, n - 1} {
		if _, err := os.Stat(filepath.Join(target, "f"+strconv.Itoa(i))); err != nil {
			t.Errorf("merged view lacks f%d: %v", i, err)
		}
	}
}

func TestMountEmptyStacks(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	upper, work, target := filepath.Join(root, "u"), filepath.Join(root, "w"), filepath.Join(root, "m")
	for _, d := range []string{upper, work, target} {
		mustOK(t, os.MkdirAll(d, 0o755))
	}
	unmount, err := Mount(nil, upper, work, target)
	mustOK(t, err)
	writeFile(t, filepath.Join(target, "f"), "f", 0o644)
	mustOK(t, unmount())
	for _, lowers := range [][]string{nil, {upper}} {
		unmount, err := MountReadOnly(lowers, target)
		mustOK(t, err)
		ents, err := os.ReadDir(target)
		mustOK(t, err)
		if got, want := len(ents), len(lowers); got != want {
			t.Errorf("read-only view of %d lowers has %d entries, want %d", len(lowers), got, want)
		}
		mustOK(t, unmount())
	}
	if left, _ := filepath.Glob(filepath.Join(root, ".empty-lower-*")); len(left) != 0 {
		t.Errorf("empty lower dirs left behind: %v", left)
	}
}

func TestMountLimits(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	target := filepath.Join(root, "m")
	mustOK(t, os.MkdirAll(target, 0o755))
	tooMany := make([]string, MaxLowers+1)
	for i := range tooMany {
		tooMany[i] = filepath.Join(root, strconv.Itoa(i))
	}
	if _, err := MountReadOnly(tooMany, target); err == nil || !strings.Contains(err.Error(), "limit of 500") {
		t.Errorf("501 lowers: err = %v, want the stack limit", err)
	}
	long := makeLowers(t, root, 80, func(i int) string { return fmt.Sprintf("%s%03d", strings.Repeat("l", 60), i) })
	_, err := mountOverlay(overlaySpec{lowers: long, target: target, legacyOnly: true})
	if err == nil || !strings.Contains(err.Error(), "4095-byte mount(2) limit") {
		t.Errorf("long options without lowerdir+: err = %v, want the page limit explained", err)
	}
}
