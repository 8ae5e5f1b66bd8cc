package main

import (
	"strings"
	"testing"
)

func TestParseOutputs(t *testing.T) {
	good := map[string]output{
		"type=oci,rewrite-timestamp=true,dest=a.tar":         {kind: "oci", dest: "a.tar", tar: true},
		"type=oci,tar=false,rewrite-timestamp=true,dest=dir": {kind: "oci", dest: "dir"},
		"type=docker,rewrite-timestamp=true,dest=d.tar":      {kind: "docker", dest: "d.tar", tar: true},
		"type=local,dest=out":                                {kind: "local", dest: "out", tar: true},
		"rootfs":                                             {kind: "local", dest: "rootfs"},
	}
	for in, want := range good {
		got, err := parseOutputs([]string{in})
		if err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("parseOutputs(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"type=oci,dest=a.tar":                                        "rewrite-timestamp=true",
		"type=image,dest=x":                                          `type "image" is not supported`,
		"type=oci,rewrite-timestamp=true":                            "dest=PATH is required",
		"type=oci,rewrite-timestamp=true,dest=-":                     "dest=PATH is required",
		"type=oci,rewrite-timestamp=true,dest=a,oci-mediatypes=true": `option "oci-mediatypes"`,
	}
	for in, msg := range bad {
		if _, err := parseOutputs([]string{in}); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("parseOutputs(%q) error %v, want it to contain %q", in, err, msg)
		}
	}
}

func TestFileModeArgs(t *testing.T) {
	code, _, stderr := runMain(t, "build", "--cache-dir", t.TempDir(), "-f", "nosuch/Dockerfile", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "SOURCE_DATE_EPOCH is not set") {
		t.Errorf("build -f without SOURCE_DATE_EPOCH: code %d, stderr %q", code, stderr)
	}
}
