package assemble

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/stevedore-build/stevedore/sandbox"
)

// TestMain doubles as libcontainer's init: the sandbox re-executes the
// test binary as "<argv0> init".
func TestMain(m *testing.M) {
	if sandbox.IsInit(os.Args, os.Getenv(sandbox.InitPipeEnv)) {
		sandbox.Init()
	}
	os.Exit(m.Run())
}

// buildIn builds cf with ctx files in a fresh context and returns the
// image or the error.
func buildIn(t *testing.T, cf string, files map[string][]byte) (*Built, error) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("building needs root")
	}
	dir := t.TempDir()
	for name, data := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(cf), 0o644)
	r, err := sandbox.NewLibcontainer(sandbox.LibcontainerConfig{StateDir: filepath.Join(t.TempDir(), "state")})
	if err != nil && strings.Contains(err.Error(), "without seccomp support") {
		t.Skip("the sandbox needs -tags seccomp: run make test")
	}
	if err != nil {
		t.Fatal(err)
	}
	b := &Builder{Runner: r, WorkDir: t.TempDir(), Layers: OverlayLayers{}}
	img, err := b.Build(context.Background(), parsed(t, Target{
		Name: "t", Containerfile: filepath.Join(dir, "Containerfile"), ContextDir: dir,
		Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"}, Epoch: time.Unix(1, 0).UTC(),
	}))
	if img != nil {
		t.Cleanup(func() { img.Close() })
	}
	return img, err
}

func tarOf(t testing.TB, entries ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
		}
	}
	tw.Close()
	return buf.Bytes()
}

// ADD must refuse archive entries that climb out of the destination, by
// name, by hardlink or through a symlink the archive created.
func TestAddRefusesEscapes(t *testing.T) {
	tests := map[string][]*tar.Header{
		"dotdot":   {{Name: "a/../../escaped", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}},
		"hardlink": {{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}},
		"through-symlink": {
			{Name: "out", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
			{Name: "out/passwd", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
		},
		"hardlink-through-symlink": {
			{Name: "out", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
			{Name: "h", Typeflag: tar.TypeLink, Linkname: "out/passwd"},
		},
		"hardlink-through-nested-symlink": {
			{Name: "d/", Typeflag: tar.TypeDir, Mode: 0o755},
			{Name: "d/up", Typeflag: tar.TypeSymlink, Linkname: "../../../../"},
			{Name: "h", Typeflag: tar.TypeLink, Linkname: "./d/up/etc/shadow"},
		},
	}
	for name, entries := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := buildIn(t, "FROM scratch\nADD evil.tar /dest/\n", map[string][]byte{"evil.tar": tarOf(t, entries...)})
			if err == nil || !strings.Contains(err.Error(), "Containerfile:2: ADD") || !strings.Contains(err.Error(), "refusing the archive") {
				t.Fatalf("err = %v, want a refusal naming line 2", err)
			}
		})
	}
	// An absolute symlink alone is data, as in BuildKit.
	ok := tarOf(t, &tar.Header{Name: "lib.so", Typeflag: tar.TypeSymlink, Linkname: "/usr/lib/lib.so.1"})
	if _, err := buildIn(t, "FROM scratch\nADD ok.tar /dest/\n", map[string][]byte{"ok.tar": ok}); err != nil {
		t.Fatalf("absolute symlink refused: %v", err)
	}
}

// A failing RUN names its line and, without --network=none, says that it
// ran without network.
func TestRunFailureNamesLineAndNetwork(t *testing.T) {
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Skip("no /bin/busybox (Debian package busybox-static)")
	}
	cf := "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"false\"]\n"
	_, err = buildIn(t, cf, map[string][]byte{"busybox": bb})
	if err == nil || !strings.Contains(err.Error(), "Containerfile:3") || !strings.Contains(err.Error(), "exit code 1") || !strings.Contains(err.Error(), "without network") {
		t.Fatalf("err = %v", err)
	}
	cf = "FROM scratch\nCOPY busybox /bin/busybox\nRUN --network=none [\"/bin/busybox\", \"false\"]\n"
	_, err = buildIn(t, cf, map[string][]byte{"busybox": bb})
	if err == nil || strings.Contains(err.Error(), "without network") {
		t.Fatalf("--network=none: err = %v", err)
	}
}

func TestCopyMissingSourceNamesLine(t *testing.T) {
	_, err := buildIn(t, "FROM scratch\n\nCOPY nothere /x\n", nil)
	if err == nil || !strings.Contains(err.Error(), "Containerfile:3: COPY") || !strings.Contains(err.Error(), "nothere") {
		t.Fatalf("err = %v", err)
	}
}
