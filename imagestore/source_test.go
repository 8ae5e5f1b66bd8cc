package imagestore

import (
	"strings"
	"testing"
)

func TestParseSource(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "/srv/images/base", want: "oci:/srv/images/base"},
		{in: "oci:/srv/base", want: "oci:/srv/base"},
		{in: "oci-dir:/srv/base", want: "oci:/srv/base"},
		{in: "oci-archive:base.tar", want: "oci-archive:base.tar"},
		{in: "docker-archive:/tmp/a.tar", want: "docker-archive:/tmp/a.tar"},
		{in: "docker-archive:", err: "no path after docker-archive:"},
		{in: "docker://host/repo", err: "want DIR, oci:DIR, oci-archive:FILE or docker-archive:FILE"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			s, err := ParseSource(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.String(); got != tc.want || !s.Local() {
				t.Errorf("got %q (local %v), want %q", got, s.Local(), tc.want)
			}
		})
	}
}
