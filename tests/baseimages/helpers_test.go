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
	"github.com/stevedore-build/stevedore/tests/testenv"
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

// slow is testenv.Slow.
func slow(t *testing.T, tools ...string) {
	t.Helper()
	testenv.Slow(t, tools...)
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

// stevedore is the binary under test (testenv.Stevedore).
func stevedore() (string, error) { return testenv.Stevedore("../..", scratch) }

// buildExamples builds a copy of examples/ at root (testenv.BuildExamples).
func buildExamples(bin, root string) (string, error) {
	return root, testenv.BuildExamples(bin, "../..", root, func(root string) error { return writeApp(root, "stagex/core-box") })
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

// run is testenv.Run.
func run(dir, name string, args ...string) (string, error) { return testenv.Run(dir, name, args...) }

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
