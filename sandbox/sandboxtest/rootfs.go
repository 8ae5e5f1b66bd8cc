package sandboxtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// BusyboxPath is the static busybox the test rootfs is built from (Debian's
// busybox-static).
const BusyboxPath = "/bin/busybox"

// Busybox returns a fresh rootfs directory holding /bin/busybox and the
// applet symlinks `busybox --install -s` makes, and nothing else (no /etc,
// /dev, /proc, /sys, /tmp), as StageX's first stages start.
func Busybox(t testing.TB) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "rootfs")
	for _, d := range []string{"bin", "sbin", "usr/bin", "usr/sbin"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(BusyboxPath)
	if err != nil {
		t.Fatalf("read %s: %v (apt-get install busybox-static)", BusyboxPath, err)
	}
	bb := filepath.Join(root, "bin/busybox")
	if err := os.WriteFile(bb, data, 0o755); err != nil {
		t.Fatal(err)
	}
	// `busybox --install -s` run in the rootfs: chroot, so the links point
	// where they would inside it.
	if out, err := exec.Command("chroot", root, "/bin/busybox", "--install", "-s").CombinedOutput(); err != nil {
		t.Fatalf("busybox --install -s in %s: %v: %s", root, err, out)
	}
	return root
}

// WriteFile writes content to name inside rootfs, creating parents.
func WriteFile(t testing.TB, rootfs, name, content string, mode os.FileMode) {
	t.Helper()
	p := filepath.Join(rootfs, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

// MountsUnder returns the mount points at or below dir in the calling
// process's mount namespace.
func MountsUnder(t testing.TB, dir string) []string {
	t.Helper()
	b, err := ReadMountinfo()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && (f[4] == dir || strings.HasPrefix(f[4], dir+"/")) {
			out = append(out, f[4])
		}
	}
	return out
}

// List returns the sorted names in dir (nil when it does not exist).
func List(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// ProcessesIn lists the host pids whose root directory is rootfs (same
// device and inode: a container's root is a bind mount of it).
func ProcessesIn(rootfs string) []string {
	want, err := os.Stat(rootfs)
	if err != nil {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range entries {
		if fi, err := os.Stat(filepath.Join("/proc", e.Name(), "root")); err == nil && os.SameFile(fi, want) {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// ReadMountinfo returns the mount table of the calling thread's mount
// namespace. /proc/self/mountinfo is the main thread's, and libcontainer
// briefly moves a locked thread, which can be the main one, into a starting
// container's mount namespace (its mount-source thread).
func ReadMountinfo() ([]byte, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	return os.ReadFile("/proc/thread-self/mountinfo")
}
