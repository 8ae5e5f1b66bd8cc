package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTTYProgress(t *testing.T) {
	var out bytes.Buffer
	p := newTTYProgress(&out)
	p.keep = 2
	for _, l := range []string{
		"[1/2] core-a",
		"core-a | [build] RUN make",
		"core-a | line 1",
		"core-a | line 2",
		"core-a | line 3",
		"core-a sha256:" + strings.Repeat("a", 64),
		"[1/2] core-a done in 5ms",
		"[2/2] core-b",
		"core-b cached",
	} {
		p.Write([]byte(l + "\n"))
	}
	p.Close()
	got := out.String()
	// The live block is redrawn in place: the header and the last two log
	// lines were on screen before the digest line scrolled above them.
	if !strings.Contains(got, "[1/2] core-a\ncore-a | line 2\ncore-a | line 3\n\x1b[3A\x1b[J"+"core-a sha256:") {
		t.Errorf("live block not redrawn as expected:\n%q", got)
	}
	for _, want := range []string{"core-a sha256:" + strings.Repeat("a", 64) + "\n", "core-b cached\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("permanent line %q missing", want)
		}
	}
	if !strings.HasSuffix(got, "\x1b[J") {
		t.Errorf("Close did not erase the live block: %q", got[len(got)-20:])
	}
}
