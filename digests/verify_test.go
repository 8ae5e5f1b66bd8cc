package digests

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/digests/internal/ocitest"
)

func TestVerify(t *testing.T) {
	tree := t.TempDir()
	gcc := ocitest.WriteLayout(t, OutDir(tree, "core-gcc"), "")
	ok := ocitest.WriteLayout(t, OutDir(tree, "core-ok"), "")
	fresh := ocitest.WriteLayout(t, OutDir(tree, "core-new"), "")
	broken := ocitest.WriteLayout(t, OutDir(tree, "user-broken"), "")
	if err := os.Remove(filepath.Join(OutDir(tree, "user-broken"), "blobs", "sha256", broken.Hex)); err != nil {
		t.Fatal(err)
	}
	if err := WriteStage(tree, "core", []Record{{"core-gcc", hexHash("a")}, {"core-ok", ok}, {"core-gone", hexHash("b")}}); err != nil {
		t.Fatal(err)
	}
	if err := WriteStage(tree, "user", []Record{{"user-broken", broken}}); err != nil {
		t.Fatal(err)
	}
	t.Run("all of out and digests", func(t *testing.T) {
		rep, err := Verify(tree, nil)
		if err != nil {
			t.Fatal(err)
		}
		got := statuses(rep)
		want := map[string]Status{"core-gcc": StatusMismatch, "core-gone": StatusNotBuilt, "core-new": StatusNotRecorded, "core-ok": StatusOK, "user-broken": StatusUnreadable}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
		if rep.OK() {
			t.Error("OK() = true, want false")
		}
		var b bytes.Buffer
		rep.Write(&b)
		for _, s := range []string{"MISMATCH core-gcc", gcc.Hex, "MISSING  core-new", fresh.Hex, "ERROR    user-broken", "MISSING  core-gone not built (recorded " + hexHash("b").Hex, "1 of 5 target(s) match digests/ (1 mismatch, 1 not recorded, 1 not built, 1 unreadable)\n"} {
			if !strings.Contains(b.String(), s) {
				t.Errorf("report lacks %q:\n%s", s, b.String())
			}
		}
	})
	t.Run("named", func(t *testing.T) {
		rep, err := Verify(tree, []string{"core-ok", "core-gone"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]Status{"core-ok": StatusOK, "core-gone": StatusNotBuilt}
		if diff := cmp.Diff(want, statuses(rep)); diff != "" {
			t.Errorf("statuses (-want +got):\n%s", diff)
		}
	})
	t.Run("only ok", func(t *testing.T) {
		rep, err := Verify(tree, []string{"core-ok"})
		if err != nil || !rep.OK() {
			t.Errorf("Verify(core-ok) = %+v, %v, want OK", rep, err)
		}
	})
	t.Run("bad name", func(t *testing.T) {
		if _, err := Verify(tree, []string{"nodash"}); err == nil {
			t.Error("Verify(nodash): nil error, want one")
		}
	})
}

func statuses(r Report) map[string]Status {
	m := map[string]Status{}
	for _, c := range r.Checks {
		m[c.Target] = c.Status
	}
	return m
}
