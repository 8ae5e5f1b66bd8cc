package testenv

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/digests"
)

// MainWithScratch is a TestMain body: it creates a temp directory for what
// a test binary's tests share (the binary, a built tree), points *dir at
// it, runs the tests, removes it and exits.
func MainWithScratch(m *testing.M, prefix string, dir *string) {
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	*dir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// Examples is the example tree built once per test binary, shared by its
// tests.
type Examples struct {
	once      sync.Once
	bin, tree string
	err       error
}

// Get returns the binary under test and <scratch>/tree, a copy of
// examples/ (with prepare's additions) fetched and built, building it on
// the first call.
func (e *Examples) Get(t *testing.T, repo, scratch string, prepare func(root string) error) (bin, tree string) {
	t.Helper()
	e.once.Do(func() {
		e.bin, e.err = Stevedore(repo, scratch)
		if e.err == nil {
			e.tree = filepath.Join(scratch, "tree")
			e.err = BuildExamples(e.bin, repo, e.tree, prepare)
		}
	})
	if e.err != nil {
		t.Fatal(e.err)
	}
	return e.bin, e.tree
}

// ManifestDigest is what StageX records for target: out/<target> read by
// the digests package.
func ManifestDigest(t *testing.T, tree, target string) string {
	t.Helper()
	img, err := digests.ReadImage(digests.OutDir(tree, target))
	if err != nil {
		t.Fatal(err)
	}
	return img.Digest.String()
}

// StartRegistry runs Debian's docker-registry on a free 127.0.0.1 port
// with storage (deletes enabled) in a temp dir, stopped when the test
// ends; it returns host:port and the storage root. Not answering within
// 20 s fails the test.
func StartRegistry(t *testing.T) (addr, data string) {
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

// TopDigest is the first descriptor of a layout's index.json: the image
// index a registry tag or a containerd image points to.
func TopDigest(t *testing.T, layout string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	idx, err := v1.ParseIndexManifest(f)
	if err != nil {
		t.Fatal(err)
	}
	return idx.Manifests[0].Digest.String()
}
