package oci

import "testing"

func TestRefTag(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "latest"},
		{"1.2.3", "1.2.3"},
		{"stagex/core-box:2", "2"},
		{"host:5000/stagex/core-box", "latest"},
		{"host:5000/stagex/core-box:v1", "v1"},
	} {
		if got := RefTag(tc.in); got != tc.want {
			t.Errorf("RefTag(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
