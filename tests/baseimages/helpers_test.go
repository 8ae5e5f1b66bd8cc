package baseimages

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stevedore-build/stevedore/digests"
)

// scratch holds the binary and the built examples tree; TestMain removes it.
var scratch string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "stevedore-baseimages-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	scratch = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// slow skips unless STEVEDORE_SLOW is set; then root and every tool named
// are required: missing ones fail the test.
func slow(t *testing.T, tools ...string) {
	t.Helper()
	if os.Getenv("STEVEDORE_SLOW") == "" {
		t.Skip("set STEVEDORE_SLOW=1")
	}
	if os.Geteuid() != 0 {
		t.Fatal("the baseimages suite needs root (building)")
	}
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found: run tests/install-deps", tool)
		}
	}
}

var (
	buildOnce sync.Once
	builtTree string
	buildErr  error
	binPath   string
)

// built returns the binary and a copy of examples/ with one more package,
// user-app, built FROM stagex/core-box: the reference output.
func built(t *testing.T) (bin, tree string) {
	t.Helper()
	buildOnce.Do(func() {
		binPath, buildErr = stevedore()
		if buildErr == nil {
			builtTree, buildErr = buildExamples(binPath, filepath.Join(scratch, "tree"))
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath, builtTree
}

// stevedore returns $STEVEDORE_BIN (set by the Makefile), else a binary
// built for this run.
func stevedore() (string, error) {
	if bin := os.Getenv("STEVEDORE_BIN"); bin != "" {
		return bin, nil
	}
	bin := filepath.Join(scratch, "stevedore")
	cmd := exec.Command("go", "build", "-tags", "osusergo,netgo,seccomp", "-o", bin, "../../cmd/stevedore")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build stevedore: %v\n%s", err, out)
	}
	return bin, nil
}

func buildExamples(bin, root string) (string, error) {
	if out, err := exec.Command("cp", "-a", "../../examples", root).CombinedOutput(); err != nil {
		return "", fmt.Errorf("copy examples: %v\n%s", err, out)
	}
	for _, d := range []string{"out", "fetch", "digests", ".stevedore"} {
		os.RemoveAll(filepath.Join(root, d))
	}
	if err := writeApp(root, "stagex/core-box"); err != nil {
		return "", err
	}
	script := strings.Join([]string{
		"sh mirror.sh mirror",
		bin + " --tree . fetch --offline --mirror-dir mirror --progress=quiet",
		bin + " --tree . build --progress=quiet",
	}, " && ")
	if _, err := run(root, "sh", "-c", script); err != nil {
		return "", err
	}
	return root, nil
}

// appContainerfile uses its base image twice: as a FROM (with a RUN on
// top) and as a COPY --from source. Line 1 is the first use.
const appContainerfile = `FROM %[1]s AS build
RUN ["/bin/box", "sh", "-c", "echo hi > /hi"]

FROM %[1]s
COPY --from=build /hi /hi
COPY --from=%[1]s /bin/box /copied-box
`

// writeApp writes packages/user/app using image base.
func writeApp(root, base string) error {
	dir := filepath.Join(root, "packages", "user", "app")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "package.toml"), []byte("[package]\nname = \"app\"\nversion = \"1\"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "Containerfile"), []byte(fmt.Sprintf(appContainerfile, base)), 0o644)
}

// appTree is a new tree holding only user-app FROM base.
func appTree(t *testing.T, base string) string {
	t.Helper()
	root := t.TempDir()
	if err := writeApp(root, base); err != nil {
		t.Fatal(err)
	}
	return root
}

// run runs a command in dir; the error carries both streams.
func run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

func must(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	out, err := run(dir, name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// fails runs a command that must fail and returns its error text.
func fails(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	_, err := run(dir, name, args...)
	if err == nil {
		t.Fatalf("%s %s succeeded, want an error", name, strings.Join(args, " "))
	}
	return err.Error()
}

// manifestDigest is what StageX records for target.
func manifestDigest(t *testing.T, tree, target string) string {
	t.Helper()
	img, err := digests.ReadImage(digests.OutDir(tree, target))
	if err != nil {
		t.Fatal(err)
	}
	return img.Digest.String()
}

// lockLines are the pins of tree's stevedore.lock, without comments.
func lockLines(t *testing.T, tree string) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(tree, "stevedore.lock"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// startRegistry runs Debian's docker-registry on a free 127.0.0.1 port
// with storage in a temp dir; it returns host:port and the storage root.
func startRegistry(t *testing.T) (addr, data string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr = l.Addr().String()
	l.Close()
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	conf := filepath.Join(dir, "config.yml")
	body := fmt.Sprintf("version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n", data, addr)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("docker-registry", "serve", conf)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker-registry: %v", err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/v2/"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr, data
			}
		}
	}
	t.Fatalf("docker-registry did not start on %s:\n%s", addr, logs.String())
	return "", ""
}
