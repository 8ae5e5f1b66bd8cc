package parity

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/digests/explain"
	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
)

const smokeRecipe = `FROM scratch
COPY hello.txt /hello.txt
COPY <<EOT /heredoc.txt
hi there
EOT
`

func slow(t testing.TB) {
	t.Helper()
	if os.Getenv("STEVEDORE_SLOW") == "" {
		t.Skip("set STEVEDORE_SLOW=1")
	}
}

// writeContext writes the smoke recipe's context with hello.txt at mode.
func writeContext(t *testing.T, mode os.FileMode) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(smokeRecipe), 0o644); err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(f, []byte("hello\n"), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(f, mode); err != nil {
		t.Fatal(err)
	}
	mt := time.Unix(1234567890, 0)
	if err := os.Chtimes(f, mt, mt); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startBuildKit starts a fresh daemon (fresh cache) or fails the test.
func startBuildKit(t testing.TB) *buildkitref.Daemon {
	t.Helper()
	ctx := context.Background()
	d, err := buildkitref.Start(ctx, buildkitref.Options{Workdir: filepath.Join(t.TempDir(), "bk")})
	if err != nil {
		t.Fatalf("BuildKit reference unavailable: %v", err)
	}
	t.Cleanup(func() {
		if err := d.Stop(ctx); err != nil {
			t.Errorf("stop buildkitd: %v", err)
		}
	})
	return d
}

func build(t *testing.T, d *buildkitref.Daemon, ctxDir, dest string) {
	t.Helper()
	err := d.Build(context.Background(), buildkitref.BuildOptions{Context: ctxDir, Name: "test-smoke", Dest: dest})
	if err != nil {
		t.Fatalf("BuildKit build: %v", err)
	}
}

// TestBuildKitSmoke builds a tiny recipe on two fresh daemons and checks
// that BuildKit is deterministic and that diff agrees; then a variant with
// another file mode must be explained as exactly that.
func TestBuildKitSmoke(t *testing.T) {
	slow(t)
	out := t.TempDir()
	first, second, variant := filepath.Join(out, "first"), filepath.Join(out, "second"), filepath.Join(out, "variant")
	ctx644 := writeContext(t, 0o644)

	d1 := startBuildKit(t)
	build(t, d1, ctx644, first)
	if err := d1.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}
	d2 := startBuildKit(t)
	build(t, d2, ctx644, second)
	build(t, d2, writeContext(t, 0o600), variant)

	h1, err := buildkitref.ManifestDigest(first)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := buildkitref.ManifestDigest(second)
	if err != nil {
		t.Fatal(err)
	}
	if h1 != h2 {
		t.Errorf("manifest digests differ between two builds: %s vs %s", h1, h2)
	}
	buildkitref.RequireIdentical(t, first, second)

	res, err := buildkitref.Explain(context.Background(), first, variant)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Differences {
		got = append(got, string(d.Level)+" "+d.Path[strings.LastIndexByte(d.Path, ':')+1:]+" "+d.Field+" "+d.A+" "+d.B)
	}
	want := []string{string(explain.LevelTar) + " hello.txt mode 0644 0600"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("explanation of the mode variant (-want +got):\n%s\n%s", diff, res)
	}
	if res.Identical {
		t.Error("variant reported identical")
	}
}

// TestEnsureIsCached checks that a second ensure does not rebuild.
func TestEnsureIsCached(t *testing.T) {
	slow(t)
	ctx := context.Background()
	bin1, err := buildkitref.Ensure(ctx, buildkitref.Options{})
	if err != nil {
		t.Fatalf("BuildKit reference unavailable: %v", err)
	}
	start := time.Now()
	bin2, err := buildkitref.Ensure(ctx, buildkitref.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if bin1 != bin2 {
		t.Errorf("bin dirs differ: %s vs %s", bin1, bin2)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("cached ensure took %s", el)
	}
	for _, b := range []string{"buildkitd", "buildctl"} {
		if _, err := os.Stat(filepath.Join(bin2, b)); err != nil {
			t.Errorf("missing %s: %v", b, err)
		}
	}
}

// TestBuildKitFreshContexts: two builds on one daemon whose contexts hold a
// file of the same name, size, mode and mtime but other content must give
// two images. buildctl sets no session shared key, so BuildKit keeps one
// incremental copy of each local context for every build and re-sends only
// files whose stat changed; without buildkit.sh dropping those copies, the
// second build copied the first one's file (a false difference the
// differential campaign found at seed 5326). Checked through both entry
// points: Build (StageX's flags) and Buildx (downstream projects).
func TestBuildKitFreshContexts(t *testing.T) {
	slow(t)
	d := startBuildKit(t)
	sameStat := func(content string) string {
		dir := t.TempDir()
		mt := time.Unix(1700000000, 0)
		for name, body := range map[string]string{"Containerfile": "FROM scratch\nCOPY f /f\n", "f": content} {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, mt, mt); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	out := t.TempDir()
	digest := func(dir string) string {
		h, err := buildkitref.ManifestDigest(dir)
		if err != nil {
			t.Fatal(err)
		}
		return h.String()
	}
	var got []string
	for i, content := range []string{"alpha\n", "gamma\n"} {
		dest := filepath.Join(out, fmt.Sprintf("build-%d", i))
		if err := d.Build(t.Context(), buildkitref.BuildOptions{Context: sameStat(content), Name: "test-fresh", Dest: dest}); err != nil {
			t.Fatal(err)
		}
		got = append(got, digest(dest))
	}
	for i, content := range []string{"alpha\n", "gamma\n"} {
		dest := filepath.Join(out, fmt.Sprintf("buildx-%d", i))
		ctxDir := sameStat(content)
		err := d.Buildx(t.Context(), buildkitref.BuildxOptions{Context: ctxDir, Containerfile: filepath.Join(ctxDir, "Containerfile"),
			BuildArgs: []string{"SOURCE_DATE_EPOCH=1"}, Outputs: []string{"type=oci,rewrite-timestamp=true,tar=false,dest=" + dest}})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, digest(dest))
	}
	if got[0] == got[1] || got[2] == got[3] {
		t.Errorf("two contexts with other content gave the same image (BuildKit reused an earlier build's context): %v", got)
	}
}
