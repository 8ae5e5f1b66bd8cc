package downstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
	"github.com/stevedore-build/stevedore/tests/testenv"
)

// base is the StageX-like base image: busybox with its applets, built by
// stevedore, pushed to the registry, used by digest.
type base struct {
	ref, digest, layout string
}

// buildBase builds base/ (Debian's static busybox as its only file) and
// pushes it to addr as stagex/core-busybox.
func buildBase(t *testing.T, bin, cache, addr string) base {
	t.Helper()
	dir := t.TempDir()
	ctxDir := filepath.Join(dir, "ctx")
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/base/Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "Containerfile"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox: %v (install busybox-static)", err)
	}
	if err := os.WriteFile(filepath.Join(ctxDir, "busybox"), bb, 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "base-oci")
	testenv.Must(t, dir, bin, "build", "--progress=quiet", "--cache-dir", cache, "--build-arg", "SOURCE_DATE_EPOCH=1",
		"--output", "type=oci,rewrite-timestamp=true,tar=false,dest="+out, ctxDir)
	dg := digestOf(t, out)
	idx, err := layout.ImageIndexFromPath(out)
	if err != nil {
		t.Fatal(err)
	}
	h, err := v1.NewHash(dg)
	if err != nil {
		t.Fatal(err)
	}
	img, err := idx.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := name.NewTag(addr+"/stagex/core-busybox:1", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithContext(context.Background())); err != nil {
		t.Fatalf("push base: %v", err)
	}
	return base{ref: addr + "/stagex/core-busybox@" + dg, digest: dg, layout: out}
}

// digestOf is the manifest digest of an OCI layout.
func digestOf(t *testing.T, dir string) string {
	t.Helper()
	h, err := buildkitref.ManifestDigest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return h.String()
}

// entry is what compareTrees checks of one file of a type=local output.
type entry struct {
	mode     fs.FileMode
	uid, gid uint32
	size     int64
	mtime    int64
	link     string
	sum      string
	nlink    uint64
}

func (e entry) String() string {
	return fmt.Sprintf("mode=%v uid=%d gid=%d size=%d mtime=%d link=%q sha256=%s nlink=%d", e.mode, e.uid, e.gid, e.size, e.mtime, e.link, e.sum, e.nlink)
}

// readTree lists every entry under dir (not dir itself).
func readTree(t *testing.T, dir string) map[string]entry {
	t.Helper()
	out := map[string]entry{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		e := entry{mode: fi.Mode(), uid: st.Uid, gid: st.Gid, mtime: st.Mtim.Nano(), nlink: st.Nlink}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			e.link, _ = os.Readlink(p)
		case fi.Mode().IsRegular():
			e.size = fi.Size()
			raw, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(raw)
			e.sum = hex.EncodeToString(sum[:])
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = e
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareTrees requires the same entries with the same metadata.
func compareTrees(t *testing.T, want, got string) {
	t.Helper()
	w, g := readTree(t, want), readTree(t, got)
	for p, we := range w {
		ge, ok := g[p]
		switch {
		case !ok:
			t.Errorf("type=local: %s missing from stevedore's output (BuildKit: %s)", p, we)
		case ge != we:
			t.Errorf("type=local: %s differs:\n  BuildKit  %s\n  stevedore %s", p, we, ge)
		}
	}
	for p, ge := range g {
		if _, ok := w[p]; !ok {
			t.Errorf("type=local: %s only in stevedore's output (%s)", p, ge)
		}
	}
}

// compareDockerArchives requires type=docker archives with the same
// manifest digest, index.json and manifest.json.
func compareDockerArchives(t *testing.T, work, want, got string) {
	t.Helper()
	dirs := [2]string{filepath.Join(work, "bk-docker"), filepath.Join(work, "sd-docker")}
	for i, f := range []string{want, got} {
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("tar", "-xf", f, "-C", dirs[i]).CombinedOutput(); err != nil {
			t.Fatalf("untar %s: %v\n%s", f, err, out)
		}
	}
	buildkitref.RequireSameManifest(t, dirs[0], dirs[1])
	for _, n := range []string{"index.json", "manifest.json"} {
		w, err := os.ReadFile(filepath.Join(dirs[0], n))
		if err != nil {
			t.Fatal(err)
		}
		g, err := os.ReadFile(filepath.Join(dirs[1], n))
		if err != nil {
			t.Fatal(err)
		}
		if string(w) != string(g) {
			t.Errorf("type=docker %s:\n  BuildKit  %s\n  stevedore %s", n, w, g)
		}
	}
}
