package transport_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/oci/transport"
)

func TestParseRef(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "here"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	tests := []struct {
		in, tree string
		want     transport.Ref
		wantErr  string
	}{
		{in: "oci:/x/y", want: transport.Ref{Kind: transport.KindLayout, Path: "/x/y"}},
		{in: "oci:/x/y:latest", want: transport.Ref{Kind: transport.KindLayout, Path: "/x/y", Tag: "latest"}},
		{in: "oci:a:b/c", want: transport.Ref{Kind: transport.KindLayout, Path: "a:b/c"}},
		{in: "oci-archive:/t/a.tar", want: transport.Ref{Kind: transport.KindOCIArchive, Path: "/t/a.tar"}},
		{in: "oci-archive:/t/a.tar:v1", want: transport.Ref{Kind: transport.KindOCIArchive, Path: "/t/a.tar", Tag: "v1"}},
		{in: "docker-archive:/t/d.tar", want: transport.Ref{Kind: transport.KindDockerArchive, Path: "/t/d.tar"}},
		{in: "out/core-busybox", want: transport.Ref{Kind: transport.KindLayout, Path: "out/core-busybox"}},
		{in: "here", tree: "/tree", want: transport.Ref{Kind: transport.KindLayout, Path: "here"}},
		{in: "core-busybox", tree: "/tree", want: transport.Ref{Kind: transport.KindLayout, Path: "/tree/out/core-busybox"}},
		{in: "core-busybox", wantErr: "no package tree"},
		{in: "", wantErr: "empty"},
		{in: "oci:", wantErr: "no path"},
		{in: "docker-archive:", wantErr: "no path"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := transport.ParseRef(tt.in, tt.tree)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseRef(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseRef(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseRef(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// FuzzParseRef checks that parsing never panics and that a parsed
// oci/oci-archive/docker-archive reference survives a String round trip.
func FuzzParseRef(f *testing.F) {
	for _, s := range []string{"oci:/a:b", "oci-archive:x.tar", "docker-archive:d.tar", "name", "a/b", "oci:", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := transport.ParseRef(s, "/tree")
		if err != nil || !strings.Contains(s, ":") || r.Kind == "" {
			return
		}
		if !strings.HasPrefix(s, string(r.Kind)+":") {
			return
		}
		r2, err := transport.ParseRef(r.String(), "/tree")
		if err != nil {
			t.Fatalf("ParseRef(%q) round trip of %q: %v", r.String(), s, err)
		}
		if r2 != r {
			t.Fatalf("round trip of %q: %+v became %+v", s, r, r2)
		}
	})
}
