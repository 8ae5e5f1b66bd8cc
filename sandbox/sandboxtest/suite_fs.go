package sandboxtest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/sandbox"
)

func testWrites(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	out := RunScript(t, r, rootfs, "mkdir -p /a/b /tmp && echo hi > /a/b/c && echo t > /tmp/t && ln -s c /a/b/l")
	if out.Result.ExitCode != 0 {
		t.Fatalf("exit %d: %s", out.Result.ExitCode, out.Stderr)
	}
	for name, want := range map[string]string{"a/b/c": "hi\n", "tmp/t": "t\n"} {
		got, err := os.ReadFile(filepath.Join(rootfs, name))
		if err != nil || string(got) != want {
			t.Errorf("%s on the host = %q, %v; want %q (writes must land in the rootfs, /tmp is no tmpfs)", name, got, err, want)
		}
	}
	if l, err := os.Readlink(filepath.Join(rootfs, "a/b/l")); err != nil || l != "c" {
		t.Errorf("symlink a/b/l = %q, %v; want c", l, err)
	}
}

// testMountStubs checks BuildKit's stub rules on a rootfs without /etc,
// /dev, /proc and /sys: the runtime's mount points dev/, proc/ and sys/ stay
// (0755, empty), the hosts/resolv.conf stubs and the /etc made for them go.
func testMountStubs(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	RunScript(t, r, rootfs, "ls / >/dev/null")
	if diff := cmp.Diff([]string{"bin", "dev", "linuxrc", "proc", "sbin", "sys", "usr"}, List(t, rootfs)); diff != "" {
		t.Errorf("rootfs after a RUN (-want +got):\n%s", diff)
	}
	for _, d := range []string{"dev", "proc", "sys"} {
		fi, err := os.Stat(filepath.Join(rootfs, d))
		if err != nil || fi.Mode().Perm() != 0o755 || len(List(t, filepath.Join(rootfs, d))) != 0 {
			t.Errorf("%s after a RUN: %v, %v, %q; want an empty 0755 directory", d, fi.Mode(), err, List(t, filepath.Join(rootfs, d)))
		}
	}
	// An existing, empty /etc stays; no stub files are left in it.
	if err := os.Mkdir(filepath.Join(rootfs, "etc"), 0o700); err != nil {
		t.Fatal(err)
	}
	RunScript(t, r, rootfs, "true")
	if got := List(t, filepath.Join(rootfs, "etc")); len(got) != 0 {
		t.Errorf("/etc after a RUN = %q, want empty", got)
	}
	if fi, err := os.Stat(filepath.Join(rootfs, "etc")); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("/etc after a RUN: %v, %v; want the image's 0700 directory", fi.Mode(), err)
	}
	// A dangling /etc/hosts symlink: the stub is made where it points, inside
	// the rootfs, and removed again with the directory made for it.
	if err := os.Symlink("/elsewhere/hosts", filepath.Join(rootfs, "etc/hosts")); err != nil {
		t.Fatal(err)
	}
	out := RunScript(t, r, rootfs, "cat /etc/hosts")
	if !strings.HasPrefix(out.Stdout, "127.0.0.1\tlocalhost buildkitsandbox\n") {
		t.Errorf("/etc/hosts through a symlink = %q, want BuildKit's", out.Stdout)
	}
	if got := List(t, rootfs); slices.Contains(got, "elsewhere") {
		t.Errorf("rootfs after a RUN with a dangling /etc/hosts symlink = %q, want the stub and its directory gone", got)
	}
	if l, err := os.Readlink(filepath.Join(rootfs, "etc/hosts")); err != nil || l != "/elsewhere/hosts" {
		t.Errorf("image's /etc/hosts symlink after a RUN = %q, %v; want it untouched", l, err)
	}
}

// testEtcFiles checks that the bind-mounted files are read-only, that the
// image's own files are shadowed but untouched, and that no host content
// reaches the rootfs.
func testEtcFiles(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	WriteFile(t, rootfs, "etc/hosts", "10.0.0.1 image\n", 0o644)
	out := RunScript(t, r, rootfs, "cat /etc/hosts; echo x >> /etc/hosts || echo ro; echo y >> /etc/resolv.conf || echo ro")
	want := "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\nro\nro\n"
	if out.Stdout != want {
		t.Errorf("stdout = %q, want %q", out.Stdout, want)
	}
	if got, _ := os.ReadFile(filepath.Join(rootfs, "etc/hosts")); string(got) != "10.0.0.1 image\n" {
		t.Errorf("image's /etc/hosts after a RUN = %q, want it untouched", got)
	}
	if got := List(t, filepath.Join(rootfs, "etc")); !cmp.Equal(got, []string{"hosts"}) {
		t.Errorf("/etc after a RUN = %q, want [hosts] (no resolv.conf stub)", got)
	}
}

func testUser(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	WriteFile(t, rootfs, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nbuild:x:1001:1002::/home/build:/bin/sh\n", 0o644)
	WriteFile(t, rootfs, "etc/group", "root:x:0:\nbuild:x:1002:\nextra:x:1003:build\n", 0o644)
	for _, tc := range []struct{ user, want string }{
		{"", "uid=0(root) gid=0(root) groups=0(root) /root\n"},
		{"build", "uid=1001(build) gid=1002(build) groups=1002(build),1003(extra) /home/build\n"},
		{"1001:1003", "uid=1001(build) gid=1003(extra) groups=1003(extra) /home/build\n"},
		{"4242:4243", "uid=4242 gid=4243 groups=4243 /\n"},
		{"build:extra", "uid=1001(build) gid=1003(extra) groups=1003(extra) /home/build\n"},
	} {
		t.Run("user="+tc.user, func(t *testing.T) {
			out := RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, User: tc.user, Args: []string{"/bin/sh", "-c", `echo "$(id) $HOME"`}})
			if out.Stdout != tc.want {
				t.Errorf("id and HOME for user %q = %q, want %q", tc.user, out.Stdout, tc.want)
			}
		})
	}
}

func testCwd(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	out := RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, Cwd: "/work/sub", Args: []string{"/bin/sh", "-c", "pwd; echo x > f"}})
	if out.Stdout != "/work/sub\n" {
		t.Errorf("pwd = %q, want /work/sub", out.Stdout)
	}
	if fi, err := os.Stat(filepath.Join(rootfs, "work/sub")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("created working directory: %v, %v; want 0755", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(rootfs, "work/sub/f")); err != nil {
		t.Errorf("file written in the working directory: %v", err)
	}
}

func testEnv(t *testing.T, f Factory) {
	r, rootfs := f(t), Busybox(t)
	for _, tc := range []struct {
		name string
		env  []string
		want string
	}{
		{"defaults", nil, "HOME=/\nPATH=" + sandbox.DefaultPath + "\nPWD=/\n"},
		{"given", []string{"FOO=bar baz", "PATH=/bin", "HOME=/h"}, "FOO=bar baz\nHOME=/h\nPATH=/bin\nPWD=/\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := RunSpec(t, r, sandbox.Spec{Rootfs: rootfs, Env: tc.env, Args: []string{"/bin/sh", "-c", "env | grep -v ^SHLVL= | sort"}})
			if out.Stdout != tc.want {
				t.Errorf("env = %q, want %q", out.Stdout, tc.want)
			}
		})
	}
}
