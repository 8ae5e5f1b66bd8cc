package downstream

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// TestCorpus builds every case of corpus/ with stevedore and BuildKit.
func TestCorpus(t *testing.T) {
	testenv.Slow(t, "docker-registry", "runc")
	bin, err := testenv.Stevedore("../..", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
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
	addr, _ := testenv.StartRegistry(t)
	cache := t.TempDir()
	b := buildBase(t, bin, cache, addr)
	cases, err := os.ReadDir(filepath.Join("testdata", "corpus"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		t.Run(c.Name(), func(t *testing.T) {
			runCase(t, d, bin, cache, addr, b, filepath.Join("testdata", "corpus", c.Name()))
		})
	}
}

// runCase builds one case both ways and compares the outputs.
func runCase(t *testing.T, d *buildkitref.Daemon, bin, cache, addr string, b base, dir string) {
	work := t.TempDir()
	ctxDir := filepath.Join(work, "ctx")
	if out, err := exec.Command("cp", "-a", dir, ctxDir).CombinedOutput(); err != nil {
		t.Fatalf("copy case: %v\n%s", err, out)
	}
	repl := strings.NewReplacer("@BASE@", b.ref, "@BASEDIGEST@", b.digest, "@BASELAYOUT@", b.layout, "@CTX@", ctxDir)
	c := readCase(t, ctxDir, repl)
	for _, f := range c.substitute {
		p := filepath.Join(ctxDir, f)
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(repl.Replace(string(raw))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	epoch := "1"
	for _, a := range c.opts.BuildArgs {
		if v, ok := strings.CutPrefix(a, "SOURCE_DATE_EPOCH="); ok {
			epoch = v
		}
	}
	// Every file of the copy gets one time, later than any epoch used, so
	// that both builds see the same context.
	if out, err := exec.Command("find", ctxDir, "-exec", "touch", "-h", "-d", "@1800000000", "{}", "+").CombinedOutput(); err != nil {
		t.Fatalf("touch: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(ctxDir, "setup.sh")); err == nil {
		testenv.Must(t, ctxDir, "sh", "setup.sh")
	}
	bk := filepath.Join(work, "bk")
	o := c.opts
	o.Context = ctxDir
	bo := o
	if _, err := os.Stat(filepath.Join(ctxDir, "Dockerfile")); o.Containerfile == "" && err != nil {
		// buildx has no Containerfile default; stevedore's is checked.
		bo.Containerfile = filepath.Join(ctxDir, "Containerfile")
	}
	if !hasArg(o.BuildArgs, "SOURCE_DATE_EPOCH") {
		o.BuildArgs = append(o.BuildArgs, "SOURCE_DATE_EPOCH="+epoch)
	}
	bo.BuildArgs = o.BuildArgs
	bo.Outputs = []string{"type=oci,rewrite-timestamp=true,tar=false,dest=" + filepath.Join(bk, "oci"), "type=local,dest=" + filepath.Join(bk, "local"),
		"type=docker,rewrite-timestamp=true,dest=" + filepath.Join(bk, "docker.tar")}
	if err := d.Buildx(context.Background(), bo); err != nil {
		t.Fatalf("BuildKit: %v", err)
	}
	sd := filepath.Join(work, "sd")
	args := []string{"build", "--progress=plain", "--cache-dir", cache, "--insecure-registry", addr}
	if o.Containerfile != "" {
		args = append(args, "-f", o.Containerfile)
	}
	for _, a := range o.BuildArgs {
		args = append(args, "--build-arg", a)
	}
	for _, a := range o.BuildContexts {
		args = append(args, "--build-context", a)
	}
	if o.Target != "" {
		args = append(args, "--target", o.Target)
	}
	if o.Platform != "" {
		args = append(args, "--platform", o.Platform)
	}
	if o.Tag != "" {
		args = append(args, "--tag", o.Tag)
	}
	args = append(args,
		"--output", "type=oci,rewrite-timestamp=true,tar=false,dest="+filepath.Join(sd, "oci"),
		"--output", "type=oci,rewrite-timestamp=true,dest="+filepath.Join(sd, "oci.tar"),
		"--output", "type=local,dest="+filepath.Join(sd, "local"),
		"--output", "type=docker,rewrite-timestamp=true,dest="+filepath.Join(sd, "docker.tar"),
		ctxDir)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := testenv.Run(work, bin, args...)
	if err != nil {
		t.Fatalf("stevedore: %v", err)
	}
	buildkitref.RequireSameManifest(t, filepath.Join(bk, "oci"), filepath.Join(sd, "oci"))
	fromTar := filepath.Join(work, "sd-tar")
	os.Mkdir(fromTar, 0o755)
	if o, err := exec.Command("tar", "-xf", filepath.Join(sd, "oci.tar"), "-C", fromTar).CombinedOutput(); err != nil {
		t.Fatalf("untar: %v\n%s", err, o)
	}
	buildkitref.RequireSameManifest(t, filepath.Join(bk, "oci"), fromTar)
	if want := digestOf(t, filepath.Join(bk, "oci")); !strings.Contains(out, want) {
		t.Errorf("stevedore printed %q, want the manifest digest %s", out, want)
	}
	compareTrees(t, filepath.Join(bk, "local"), filepath.Join(sd, "local"))
	compareDockerArchives(t, work, filepath.Join(bk, "docker.tar"), filepath.Join(sd, "docker.tar"))
	if filepath.Base(dir) == "32-mount-cache" {
		checkCacheMount(t, cache)
	}
	if filepath.Base(dir) == "23-tag-short" {
		checkVerify(t, bin, work, args[:len(args)-9], ctxDir, digestOf(t, filepath.Join(bk, "oci")), b)
	}
}

func hasArg(args []string, key string) bool {
	for _, a := range args {
		if strings.HasPrefix(a, key+"=") {
			return true
		}
	}
	return false
}

// testCase is a corpus directory's options (its "args" file, one buildx
// flag and value per line) and the files whose placeholders are replaced.
type testCase struct {
	opts       buildkitref.BuildxOptions
	substitute []string
}

func readCase(t *testing.T, dir string, repl *strings.Replacer) testCase {
	c := testCase{substitute: []string{}}
	for _, n := range []string{"Dockerfile", "Containerfile"} {
		if _, err := os.Stat(filepath.Join(dir, n)); err == nil {
			c.substitute = append(c.substitute, n)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "args"))
	if os.IsNotExist(err) {
		return c
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		flag, v, _ := strings.Cut(strings.TrimSpace(repl.Replace(line)), " ")
		switch flag {
		case "", "#":
		case "-f":
			c.opts.Containerfile = filepath.Join(dir, v)
			c.substitute = append(c.substitute, v)
		case "--build-arg":
			c.opts.BuildArgs = append(c.opts.BuildArgs, v)
		case "--build-context":
			c.opts.BuildContexts = append(c.opts.BuildContexts, v)
		case "--target":
			c.opts.Target = v
		case "--platform":
			c.opts.Platform = v
		case "--tag":
			c.opts.Tag = v
		case "--substitute":
			c.substitute = append(c.substitute, v)
		default:
			t.Fatalf("args: unknown flag %q", flag)
		}
	}
	sort.Strings(c.substitute)
	return c
}

// checkVerify: --verify with BuildKit's digest exits 0; with another one
// it exits 1 and names both digests.
func checkVerify(t *testing.T, bin, work string, args []string, ctxDir, want string, b base) {
	t.Helper()
	testenv.Must(t, work, bin, append(append(args, "--verify", want), ctxDir)...)
	wrong := "sha256:" + strings.Repeat("0", 64)
	_, err := testenv.Run(work, bin, append(append(args, "--verify", wrong), ctxDir)...)
	if err == nil || !strings.Contains(err.Error(), "exit status 1") {
		t.Fatalf("--verify %s: %v, want exit status 1", wrong, err)
	}
	for _, s := range []string{"want " + wrong, "got  " + want} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("--verify output %q does not contain %q", err, s)
		}
	}
	// With the expected image in the tag's repository, the mismatch is
	// explained as stevedore diff explains it.
	repo, _, _ := strings.Cut(b.ref, "@")
	explained := append(append([]string(nil), args...), "--verify", b.digest, "--tag", repo+":x", ctxDir)
	for i, a := range explained {
		if a == "--tag" && explained[i+1] != repo+":x" {
			explained[i+1] = repo + ":x"
		}
	}
	_, err = testenv.Run(work, bin, explained...)
	if err == nil || !strings.Contains(err.Error(), "(expected), b = this build") || !strings.Contains(err.Error(), "differ") {
		t.Errorf("--verify against the base image: %v, want an explanation", err)
	}
}

// checkCacheMount: the cache mount of 32-mount-cache persists in the cache
// folder after the build (and the corpus shows it is in no layer).
func checkCacheMount(t *testing.T, cache string) {
	t.Helper()
	found, _ := filepath.Glob(filepath.Join(cache, "cache", "mounts", "*", "x"))
	for _, f := range found {
		if raw, err := os.ReadFile(f); err == nil && string(raw) == "cached\n" {
			return
		}
	}
	t.Errorf("no cache mount directory under %s holds x = cached (found %q)", filepath.Join(cache, "cache", "mounts"), found)
}
