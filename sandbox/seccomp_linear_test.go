//go:build seccomp && cgo

package sandbox_test

import (
	"testing"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// TestSeccompLinearLayout checks that the binary-tree optimisation request
// is ignored (see seccomp_linear.go), so filters keep BuildKit's runc layout.
func TestSeccompLinearLayout(t *testing.T) {
	f, err := libseccomp.NewFilter(libseccomp.ActAllow)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if err := f.SetOptimize(2); err != nil {
		t.Fatalf("SetOptimize(2): %v", err)
	}
	got, err := f.GetOptimize()
	if err != nil {
		t.Fatal(err)
	}
	if got != 1 {
		t.Errorf("optimize level after SetOptimize(2) = %d, want libseccomp's default 1 (the linker wrapper is not active)", got)
	}
}
