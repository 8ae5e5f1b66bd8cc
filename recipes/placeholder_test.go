package recipes

import (
	"errors"
	"strings"
	"testing"
)

// pyFormat is Python's str.format(**vars), which StageX's scripts apply to
// every template; each want below is what Python 3.11 prints.
func TestPyFormat(t *testing.T) {
	vars := map[string]string{"version": "1.2", "format": "tar.gz"}
	tests := []struct{ tmpl, want, err string }{
		{"a-{version}.{format}", "a-1.2.tar.gz", ""},
		{"{{version}}-{version}}}", "{version}-1.2}", ""},
		{"plain", "plain", ""},
		{"a-{colour}", "", "no value for {colour}"},
		{"a-{", "", "single '{'"},
		{"a}b", "", "single '}'"},
		{"a-{}", "", "positional placeholder {}"},
		{"a-{0}", "", "positional placeholder {0}"},
		{"a-{version!r}", "", "only plain {name} placeholders"},
		{"a-{version:>5}", "", "only plain {name} placeholders"},
		{"a-{version.x}", "", "only plain {name} placeholders"},
	}
	for _, tt := range tests {
		got, _, err := pyFormat(tt.tmpl, vars)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("pyFormat(%q) = %q, %v; want %q", tt.tmpl, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("pyFormat(%q) error = %v; want %q", tt.tmpl, err, tt.err)
		}
	}
	_, _, err := pyFormat("{x}", vars)
	var u unknownPlaceholderError
	if !errors.As(err, &u) || u.Name != "x" {
		t.Errorf("unknown placeholder error = %#v", err)
	}
}

// urlFileName is Python's urlsplit(url).path.split("/")[-1]; each want
// below is what Python 3.11 returns.
func TestURLFileName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://example.org/a/b-{version}.tar.gz", "b-{version}.tar.gz"},
		{"https://example.org/dl/x.zip?raw=1#frag", "x.zip"},
		{"https://example.org/a%20b.tgz", "a%20b.tgz"},
		{"https://example.org/dir/", ""},
		{"https://example.org", ""},
		{"https://{host}/x-{version}.tar", "x-{version}.tar"},
		{"  https://example.org/a\tb.tar", "ab.tar"},
		{"file:///srv/mirror/f.tar", "f.tar"},
		{"relative/path/f.tar", "f.tar"},
		{"1http://x/y.tar", "y.tar"},
	}
	for _, tt := range tests {
		if got := urlFileName(tt.in); got != tt.want {
			t.Errorf("urlFileName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
