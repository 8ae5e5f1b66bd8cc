package difftest

import "testing"

// TestOnlySuidCleared: the documented rootless difference is recognized
// from stevedore diff's output, and nothing else is.
func TestOnlySuidCleared(t *testing.T) {
	head := "differ: a=oci:x b=oci:y (2 difference(s))\n"
	for diff, want := range map[string]bool{
		head + "tar  manifests[0]/manifests[0]/layers[2]:a  mode  a=4755  b=0755\ntar  manifests[0]/manifests[0]/layers[4]:c d  mode  a=2755  b=0755": true,
		head + "tar  manifests[0]/manifests[0]/layers[2]:a  mode  a=4755  b=0744":                                                                     false,
		head + "tar  manifests[0]/manifests[0]/layers[2]:a  mode  a=0755  b=4755":                                                                     false,
		head + "tar  manifests[0]/manifests[0]/layers[2]:a  uid  a=0  b=1000":                                                                         false,
		head: false,
	} {
		if got := onlySuidCleared(diff); got != want {
			t.Errorf("onlySuidCleared(%q) = %v, want %v", diff, got, want)
		}
	}
}
