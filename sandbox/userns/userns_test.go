package userns

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookup(t *testing.T) {
	f := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(f, []byte("alice:100000:65536\n1001:200000:1000\nbad line\n"), 0o644)
	tests := []struct {
		name string
		id   int
		want Range
		err  string
	}{
		{"alice", 1000, Range{100000, 65536}, ""},
		{"bob", 1001, Range{200000, 1000}, ""},
		{"carol", 1002, Range{}, "no range for carol (uid 1002)"},
	}
	for _, tt := range tests {
		got, err := Lookup(f, tt.name, tt.id)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "usermod --add-subuids") {
				t.Errorf("%s: err = %v, want %q with the fix", tt.name, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
}
