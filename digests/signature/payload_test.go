package signature

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPayloadMarshalExact(t *testing.T) {
	got := string(Payload{Reference: "stagex/core-gcc:13", Digest: "sha256:" + strings.Repeat("0", 64)}.Marshal())
	want := `{"critical":{"identity":{"docker-reference":"stagex/core-gcc:13"},"image":{"docker-manifest-digest":"sha256:` +
		strings.Repeat("0", 64) + `"},"type":"atomic container signature"},"optional":{}}`
	if got != want {
		t.Errorf("Marshal =\n%s\nwant\n%s", got, want)
	}
}

func TestParsePayload(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	crit := func(extra string) string {
		return `{"critical":{"identity":{"docker-reference":"stagex/x:1"},"image":{"docker-manifest-digest":"` + d + `"},"type":"atomic container signature"` + extra + `},"optional":{}}`
	}
	ok := []struct{ name, in string }{
		{"stagex", crit("")},
		{"optional members", `{"optional":{"creator":"gpg","timestamp":12,"other":[1]},"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"` + d + `"},"identity":{"docker-reference":"stagex/x:1"}}}`},
		{"whitespace", " \n" + crit("") + "\n"},
	}
	for _, tt := range ok {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePayload([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Payload{Reference: "stagex/x:1", Digest: d}, got); diff != "" {
				t.Errorf("ParsePayload (-want +got):\n%s", diff)
			}
		})
	}
	bad := []struct{ name, in, want string }{
		{"not json", `nope`, "not a JSON object"},
		{"array", `[]`, "not a JSON object"},
		{"unknown critical key", crit(`,"extra":1`), "unknown key"},
		{"duplicate critical key", crit(`,"type":"atomic container signature"`), "twice"},
		{"duplicate top key", `{"critical":{},"critical":{},"optional":{}}`, "twice"},
		{"missing optional", strings.TrimSuffix(crit(""), `,"optional":{}}`) + "}", "lacks \"optional\""},
		{"unknown top key", strings.TrimSuffix(crit(""), "}") + `,"x":1}`, "unknown key"},
		{"wrong type", strings.Replace(crit(""), "atomic container signature", "other", 1), "critical.type"},
		{"bad digest", strings.Replace(crit(""), d, "sha256", 1), "not a digest"},
		{"upper digest algo", strings.Replace(crit(""), "sha256:", "SHA256:", 1), "not a digest"},
		{"bad reference", strings.Replace(crit(""), "stagex/x:1", "Bad Ref", 1), "docker-reference"},
		{"extra image key", strings.Replace(crit(""), `"docker-manifest-digest"`, `"a":1,"docker-manifest-digest"`, 1), "unknown key"},
		{"creator not string", strings.Replace(crit(""), `"optional":{}`, `"optional":{"creator":1}`, 1), "creator"},
		{"timestamp not integer", strings.Replace(crit(""), `"optional":{}`, `"optional":{"timestamp":1.5}`, 1), "timestamp"},
		{"optional not object", strings.Replace(crit(""), `"optional":{}`, `"optional":[]`, 1), "optional"},
		{"trailing data", crit("") + "{}", "data after"},
		{"reference not string", strings.Replace(crit(""), `"stagex/x:1"`, `1`, 1), "not a string"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePayload([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParsePayload(%s): err = %v, want it to contain %q", tt.in, err, tt.want)
			}
		})
	}
}

func TestParseReference(t *testing.T) {
	tests := []struct{ in, want string }{
		{"stagex/x:1", defaultDomain + "/stagex/x:1"},
		{defaultDomain + "/stagex/x:1", defaultDomain + "/stagex/x:1"},
		{"index." + defaultDomain + "/stagex/x", defaultDomain + "/stagex/x"},
		{"busybox", defaultDomain + "/library/busybox"},
		{"127.0.0.1:5000/stagex/core-gcc:13", "127.0.0.1:5000/stagex/core-gcc:13"},
		{"localhost/a/b@sha256:" + strings.Repeat("a", 64), "localhost/a/b@sha256:" + strings.Repeat("a", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseReference(tt.in)
			if err != nil || got.String() != tt.want {
				t.Errorf("ParseReference(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "a/UPPER", "a//b", "a/b:", "a/b:bad tag", "-a/b", "a/b@sha256:zz"} {
		t.Run("bad "+bad, func(t *testing.T) {
			if _, err := ParseReference(bad); err == nil {
				t.Errorf("ParseReference(%q): nil error", bad)
			}
		})
	}
}

func TestNormalizeNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"stagex":                     defaultDomain + "/stagex",
		"127.0.0.1:5000/stagex":      "127.0.0.1:5000/stagex",
		"127.0.0.1:5000/stagex/sub/": "127.0.0.1:5000/stagex/sub",
	} {
		got, err := NormalizeNamespace(in)
		if err != nil || got != want {
			t.Errorf("NormalizeNamespace(%q) = %q, %v, want %q", in, got, err, want)
		}
	}
	if _, err := NormalizeNamespace("a:b"); err == nil {
		t.Error("NormalizeNamespace(a:b): nil error")
	}
}

func FuzzParsePayload(f *testing.F) {
	f.Add(testPay.Marshal())
	f.Add([]byte(`{"critical":{},"optional":{}}`))
	f.Add([]byte(`{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:00"},"identity":{"docker-reference":"a"}},"optional":{"timestamp":1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePayload(b)
		if err != nil {
			return
		}
		// A payload that parses must survive a round trip.
		q, err := ParsePayload(p.Marshal())
		if err != nil || q != p {
			t.Fatalf("round trip of %q: %+v, %v", b, q, err)
		}
	})
}
