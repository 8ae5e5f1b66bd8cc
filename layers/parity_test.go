package layers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/tests/parity/buildkitref"
)

// parityEpoch is what buildkit.sh passes as SOURCE_DATE_EPOCH.
var parityEpoch = time.Unix(1, 0)

// parityRecipe is a Containerfile made of a COPY of busybox and RUNs, each
// of which the test repeats through a chroot into its own overlay mount.
type parityRecipe struct {
	name string
	// base names an earlier recipe whose image this one starts FROM (as
	// stagex/<base> from its OCI layout); empty means scratch + busybox.
	base string
	runs []string
}

func parityRecipes() []parityRecipe {
	long := strings.Repeat("d", 60) + "/" + strings.Repeat("e", 89)
	target := "/" + strings.Repeat("t", 130)
	deep := strings.Repeat("a", 99) + "/" + strings.Repeat("b", 99) + "/" + strings.Repeat("c", 100)
	return []parityRecipe{{
		name: "corner-cases",
		runs: []string{
			"/bin/busybox mkdir -p /usr/bin && /bin/busybox --install -s /usr/bin",
			"mkdir -p /d1/sub /d2 /m /etc /keep && echo a > /d1/a && echo b > /d1/sub/b && echo c > /d2/c && " +
				"echo del > /del && echo data > /m/lnk && echo root:x:0:0::/: > /etc/passwd && " +
				"echo k > /keep/k && echo t > /keep/t && echo o > /old && touch -t 197001010000.00 /keep/zero",
			"rm /del && rm -rf /d1 /d2 && mkdir -p /d1 && echo new > /d1/new",
			"ln /m/lnk /m/lnk2 && echo z > /z && ln /z /a && ln /z /hl",
			"echo s > /su && chmod 4755 /su && echo g > /sg && chmod 2711 /sg && mkdir /tmp && chmod 1777 /tmp && " +
				"mkfifo /fifo && mknod /cdev c 1 3 && mknod /bdev b 7 300",
			"mkdir -p " + filepath.Dir("/"+long) + " && echo l > /" + long + " && ln -s " + target + " /longlink && " +
				"mkdir -p " + filepath.Dir("/"+deep) + " && echo deep > /" + deep + " && echo u > /ünïcødé.txt && " +
				"echo x > /" + strings.Repeat("x", 200),
			"echo n > /neg && touch -t 196912310000.00 /neg && echo z > /zero && touch -t 197001010000.00 /zero && " +
				"echo big > /bigid && chown 3000000:3000001 /bigid",
			"chmod 600 /keep/k && touch -t 197001010000.00 /keep/t && mv /old /new && cp -p /keep/zero /keep/z2 && mv /keep/z2 /keep/z3",
			"true",
			"echo tmp > /tmp/f && rm /tmp/f",
		},
	}, {
		name: "copy-up-rules",
		runs: []string{
			"/bin/busybox mkdir -p /usr/bin && /bin/busybox --install -s /usr/bin",
			"mkdir -p /o/sub /mv/in /dir2file && echo 1 > /o/f1 && echo 2 > /o/sub/f2 && ln /o/f1 /o/hl && " +
				"echo x > /mv/in/x && echo t > /trunc && touch -t 200001010000.00 /trunc && " +
				"echo s > /samesz && touch -t 197001010000.00 /samesz && echo c > /chown",
			"rm -rf /o && mkdir /o && echo 1 > /o/f1 && ln /o/f1 /o/hl2 && mv /mv /mv2 && ln /trunc /trunc2 && " +
				"rmdir /dir2file && echo f > /dir2file && echo S > /samesz && touch -t 197001010000.00 /samesz && " +
				"chown 1:1 /o && chown 0:0 /chown",
		},
	}, {
		name: "from-oci-layout",
		base: "corner-cases",
		runs: []string{
			"cp -p /a /a.copy && mv /a.copy /a && ln /su /su.link && echo root:x:0:0::/root: >> /etc/passwd",
			"rm -rf /keep && mkdir /keep && touch -t 197001010000.00 /keep && chmod 700 /m && mv /new /new2",
			"cp -p /zero /zero.copy && mv /zero.copy /zero && touch /neg && rm /usr/bin/[ && mkdir /usr/bin/sub",
		},
	}}
}

func (r parityRecipe) containerfile() string {
	var sb strings.Builder
	if r.base != "" {
		sb.WriteString("FROM stagex/" + imageName(r.base) + "\n")
	} else {
		sb.WriteString("FROM scratch\nCOPY busybox /bin/busybox\n")
	}
	for _, cmd := range r.runs {
		argv, _ := json.Marshal([]string{"/bin/busybox", "sh", "-c", cmd})
		fmt.Fprintf(&sb, "RUN %s\n", argv)
	}
	return sb.String()
}

// TestParityWithBuildKit builds each recipe with BuildKit v0.34.2 and
// rebuilds every layer with this package, comparing blob digests one by
// one. Failing to build or start BuildKit is a failure, not a skip.
func TestParityWithBuildKit(t *testing.T) {
	if os.Getenv("STEVEDORE_SLOW") == "" {
		t.Skip("set STEVEDORE_SLOW=1")
	}
	if os.Geteuid() != 0 {
		t.Fatal("BuildKit parity needs root (buildkitd and overlay mounts)")
	}
	busybox := hostBusybox(t)
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
	layouts, outRoot := map[string]string{}, t.TempDir() // outlives the subtests

	for _, r := range parityRecipes() {
		t.Run(r.name, func(t *testing.T) {
			layouts[r.name] = buildWithBuildKit(t, d, r, busybox, layouts, filepath.Join(outRoot, r.name))
			want := readLayout(t, layouts[r.name])
			var base *layoutImage
			if r.base != "" {
				base = readLayout(t, layouts[r.base])
			}
			compareLayers(t, r, want.layers, reproduce(t, r, busybox, base))
		})
	}
}

func imageName(recipe string) string { return "layers-" + recipe }

// hostBusybox finds the static busybox (Debian's busybox-static) that both
// BuildKit's image and the chroot run.
func hostBusybox(t *testing.T) string {
	t.Helper()
	p := "/bin/busybox"
	out, err := exec.Command("file", "-L", p).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "statically linked") {
		t.Fatalf("need a static %s (apt-get install busybox-static): %v %s", p, err, out)
	}
	return p
}

// buildWithBuildKit builds r into the OCI layout dest and returns it; layouts
// holds the earlier recipes' outputs for FROM.
func buildWithBuildKit(t *testing.T, d *buildkitref.Daemon, r parityRecipe, busybox string, layouts map[string]string, dest string) string {
	t.Helper()
	dir := t.TempDir()
	ctxDir := filepath.Join(dir, "ctx")
	mustOK(t, os.MkdirAll(ctxDir, 0o755))
	mustOK(t, os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte(r.containerfile()), 0o644))
	copyBusybox(t, busybox, filepath.Join(ctxDir, "busybox"))
	opts := buildkitref.BuildOptions{Context: ctxDir, Name: imageName(r.name), Dest: dest}
	if r.base != "" {
		if layouts[r.base] == "" {
			t.Fatalf("base recipe %s was not built", r.base)
		}
		opts.Deps = map[string]string{imageName(r.base): layouts[r.base]}
	}
	if err := d.Build(context.Background(), opts); err != nil {
		t.Fatalf("BuildKit build: %v", err)
	}
	return dest
}

// copyBusybox copies the binary with mode 0755 and mtime 0, the same for
// the context BuildKit reads and the COPY the test repeats.
func copyBusybox(t testing.TB, src, dst string) {
	t.Helper()
	data, err := os.ReadFile(src)
	mustOK(t, err)
	mustOK(t, os.WriteFile(dst, data, 0o755))
	mustOK(t, os.Chmod(dst, 0o755))
	setMtime(t, dst, 0, 0)
}

// reproduce makes the recipe's layers with this package: the COPY through
// the overlay mount, each RUN as a chroot into the merged mount.
func reproduce(t *testing.T, r parityRecipe, busybox string, base *layoutImage) []result {
	t.Helper()
	s := newStack(t)
	s.epoch = parityEpoch
	var out []result
	if base != nil {
		out = unpackBase(t, s, base)
	} else {
		out = append(out, s.step(func(root string) {
			mustOK(t, os.Mkdir(filepath.Join(root, "bin"), 0o755))
			copyBusybox(t, busybox, filepath.Join(root, "bin/busybox"))
		}))
	}
	for _, cmd := range r.runs {
		out = append(out, s.step(func(root string) { chrootRun(t, root, cmd) }))
	}
	return out
}

// chrootRun does what BuildKit's runc executor leaves behind in the rootfs:
// mount-point stubs dev, proc and sys (0755, kept), /etc/hosts and
// /etc/resolv.conf stubs (removed again with a parent it created), and the
// command run as root in "/" with the default PATH and umask 022.
func chrootRun(t *testing.T, root, cmd string) {
	t.Helper()
	for _, d := range []string{"dev", "proc", "sys"} {
		p := filepath.Join(root, d)
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			mustOK(t, os.Mkdir(p, 0o755))
			mustOK(t, os.Chmod(p, 0o755))
		}
	}
	cleanup := etcStubs(t, root)
	mustOK(t, unix.Mount("/dev", filepath.Join(root, "dev"), "", unix.MS_BIND|unix.MS_REC, ""))
	defer func() { mustOK(t, unix.Unmount(filepath.Join(root, "dev"), unix.MNT_DETACH)) }()
	c := exec.Command("/bin/busybox", "sh", "-c", cmd)
	c.Dir = "/"
	c.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "TZ=UTC"}
	c.SysProcAttr = &syscall.SysProcAttr{Chroot: root}
	old := unix.Umask(0o022)
	out, err := c.CombinedOutput()
	unix.Umask(old)
	if err != nil {
		t.Fatalf("chroot run %q: %v\n%s", cmd, err, out)
	}
	cleanup()
}

// etcStubs creates the bind-mount targets BuildKit creates and returns the
// cleaner that removes them (and /etc when it made it) if still empty.
func etcStubs(t *testing.T, root string) func() {
	etc := filepath.Join(root, "etc")
	var made []string
	if _, err := os.Lstat(etc); os.IsNotExist(err) {
		mustOK(t, os.Mkdir(etc, 0o755))
		made = append(made, etc)
	}
	for _, f := range []string{"hosts", "resolv.conf"} {
		p := filepath.Join(etc, f)
		if _, err := os.Lstat(p); os.IsNotExist(err) {
			mustOK(t, os.WriteFile(p, nil, 0o644))
			made = append([]string{p}, made...)
		}
	}
	return func() {
		for _, p := range made {
			st, err := os.Lstat(p)
			if err != nil || (!st.IsDir() && st.Size() != 0) {
				continue
			}
			os.Remove(p) // fails, as BuildKit's cleaner does, on a non-empty dir
		}
	}
}

func compareLayers(t *testing.T, r parityRecipe, want []v1.Descriptor, got []result) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("BuildKit made %d layers, we made %d", len(want), len(got))
	}
	for i := range want {
		step := "base layer (unpacked with Unpack, blob reused)"
		if first := len(want) - len(r.runs); i >= first {
			step = "RUN " + r.runs[i-first]
		} else if r.base == "" {
			step = "COPY busybox /bin/busybox"
		}
		if want[i].Digest == got[i].blob.Digest && want[i].Size == got[i].blob.Size {
			t.Logf("layer %d identical: %s (%s)", i, got[i].blob.Digest, shorten(step))
			continue
		}
		bk := gunzipFile(t, want[i].URLs[0])
		t.Errorf("layer %d (%s): BuildKit %s (%d bytes), ours %s (%d bytes)\nheaders (-BuildKit +ours):\n%s\nraw (-BuildKit +ours):\n%s",
			i, shorten(step), want[i].Digest, want[i].Size, got[i].blob.Digest, got[i].blob.Size,
			cmp.Diff(entries(t, bk), entries(t, got[i].tar)), cmp.Diff(rawHeaders(t, bk), rawHeaders(t, got[i].tar)))
	}
}

func shorten(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

func gunzipFile(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	mustOK(t, err)
	defer f.Close()
	var buf bytes.Buffer
	mustOK(t, gunzipTo(&buf, f))
	return buf.Bytes()
}

func gunzipTo(w io.Writer, r io.Reader) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, zr)
	return err
}
