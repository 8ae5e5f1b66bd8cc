package assemble

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
)

// envList must order keys as BuildKit's llb.EnvList: a key set again moves
// to the end; the order reaches RUN processes.
func TestEnvListOrder(t *testing.T) {
	e := newEnvList()
	e.set("PATH", "/bin")
	e.set("A", "1")
	e.set("B", "2")
	e.set("A", "3")
	got := e.toArray()
	want := []string{"PATH=/bin", "B=2", "A=3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("toArray (-want +got):\n%s", diff)
	}
	c := e.clone()
	c.set("PATH", "/usr/bin")
	if diff := cmp.Diff(want, e.toArray()); diff != "" {
		t.Errorf("clone shares state (-want +got):\n%s", diff)
	}
}

func TestAddEnvReplacesInPlace(t *testing.T) {
	got := addEnv([]string{"PATH=/bin", "A=1", "B=2"}, "A", "x")
	if diff := cmp.Diff([]string{"PATH=/bin", "A=x", "B=2"}, got); diff != "" {
		t.Errorf("addEnv (-want +got):\n%s", diff)
	}
}

// runCommandString reproduces BuildKit's RUN history text, e.g. the
// design note's "RUN |2 FOO=bar UNUSED=x /bin/sh -c ...".
func TestRunCommandString(t *testing.T) {
	str := func(s string) *string { return &s }
	env := newEnvList()
	env.set("FOO", "bar")
	env.set("UNUSED", "x")
	args := []instructions.KeyValuePairOptional{{Key: "FOO", Value: str("default")}, {Key: "UNUSED", Value: str("x")}, {Key: "FOO"}}
	got := runCommandString([]string{"/bin/sh", "-c", "echo $FOO"}, args, env)
	if want := "|2 FOO=bar UNUSED=x /bin/sh -c echo $FOO"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := runCommandString([]string{"a", "b"}, nil, newEnvList()); got != "a b" {
		t.Errorf("no args: got %q", got)
	}
}

func TestPathRelativeToWorkingDir(t *testing.T) {
	tests := []struct{ wd, p, want string }{
		{"/", ".", "/"},
		{"/work", ".", "/work/"},
		{"/work", "sub/", "/work/sub/"},
		{"/work", "/abs", "/abs"},
		{"/work", "/abs/", "/abs/"},
		{"/work", "../x", "/x"},
	}
	for _, tt := range tests {
		got, err := pathRelativeToWorkingDir(tt.wd, tt.p)
		if err != nil || got != tt.want {
			t.Errorf("pathRelativeToWorkingDir(%q, %q) = %q, %v; want %q", tt.wd, tt.p, got, err, tt.want)
		}
	}
}

func TestCopyCommitMessage(t *testing.T) {
	c := copySpec{chown: "1000:1000", chmod: "0755", from: "build",
		sd: instructions.SourcesAndDest{SourcePaths: []string{"a", "b"}, SourceContents: []instructions.SourceContent{{Path: "EOT"}}, DestPath: "/d/"}}
	if got, want := c.commitMessage(), "COPY --chown=1000:1000 --chmod=0755 a b <<EOT /d/"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	c.isAdd = true
	if got := c.commitMessage(); got[:4] != "ADD " {
		t.Errorf("ADD message %q", got)
	}
}

func TestParseChmod(t *testing.T) {
	if m, err := parseChmod("0600"); err != nil || m.mode == nil || *m.mode != 0o600 {
		t.Errorf("0600: %+v %v", m, err)
	}
	if m, err := parseChmod("u+x"); err != nil || m.modeStr != "u+x" {
		t.Errorf("u+x: %+v %v", m, err)
	}
	if _, err := parseChmod("17777"); err == nil {
		t.Error("17777 accepted")
	}
}
