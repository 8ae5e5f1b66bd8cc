package fetch

import (
	"path/filepath"
	"strings"
	"testing"
)

// FuzzValidateFile checks the property Fetch relies on: an accepted name
// stays inside its directory and is never a temp name.
func FuzzValidateFile(f *testing.F) {
	for _, s := range []string{"zlib-1.3.1.tar.gz", "", ".", "..", "a/b", `a\b`, ".hidden", "x\x00y", strings.Repeat("a", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if ValidateFile(name) != nil {
			return
		}
		p := filepath.Join("/dest", name)
		if filepath.Dir(p) != "/dest" || filepath.Base(p) != name {
			t.Errorf("accepted %q escapes or is renamed: %s", name, p)
		}
		if strings.HasPrefix(name, ".") {
			t.Errorf("accepted hidden name %q", name)
		}
	})
}

// FuzzParseURL checks that ParseURL never panics and only accepts what
// Fetch knows how to use.
func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"https://zlib.net/zlib.tar.gz", "file:///srv/m/z.tar", "file://host/z", "ftp://x/y", "http://", "file:rel", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := ParseURL(raw)
		if err != nil {
			return
		}
		switch u.Scheme {
		case "http", "https":
			if u.Host == "" {
				t.Errorf("accepted %q without host", raw)
			}
		case "file":
			if !filepath.IsAbs(u.Path) {
				t.Errorf("accepted %q with relative path", raw)
			}
		default:
			t.Errorf("accepted %q with scheme %q", raw, u.Scheme)
		}
	})
}
