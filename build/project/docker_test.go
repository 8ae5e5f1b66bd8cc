package project

import "testing"

func TestFamiliarName(t *testing.T) {
	for in, want := range map[string]string{
		"myapp":                         "myapp:latest",
		"docker.io/library/myapp:1":     "myapp:1",
		"docker.io/team/app":            "team/app:latest",
		"registry.example.org/t/app:v1": "registry.example.org/t/app:v1",
		"127.0.0.1:5000/app":            "127.0.0.1:5000/app:latest",
	} {
		if got := familiarName(in); got != want {
			t.Errorf("familiarName(%q) = %q, want %q", in, got, want)
		}
	}
}
