package hostcheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeHost writes a host with everything a build needs under a temp root.
func fakeHost(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	write := func(p, s string) {
		full := filepath.Join(root, p)
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, ns := range []string{"mnt", "pid", "ipc", "uts", "net", "cgroup", "user"} {
		write("proc/self/ns/"+ns, "")
	}
	write("proc/filesystems", "nodev\tproc\nnodev\toverlay\n")
	write("proc/sys/kernel/osrelease", "6.1.0-41-amd64\n")
	write("proc/sys/user/max_user_namespaces", "15000\n")
	write("sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
	write("etc/subuid", "alice:100000:65536\n")
	write("etc/subgid", "alice:100000:65536\n")
	write("usr/bin/newuidmap", "")
	write("usr/bin/newgidmap", "")
	os.Chmod(filepath.Join(root, "usr/bin/newuidmap"), 0o755|os.ModeSetuid)
	os.Chmod(filepath.Join(root, "usr/bin/newgidmap"), 0o755|os.ModeSetuid)
	return root
}

func find(cs []Check, name string) Check {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return Check{}
}

func TestRootHostOK(t *testing.T) {
	root := fakeHost(t)
	cs := Run(Input{UID: 0, NofileHard: 20000, NeedNofile: 16384, Dirs: []string{t.TempDir()}, Root: root})
	if !OK(cs) {
		for _, c := range cs {
			t.Log(c)
		}
		t.Fatal("a complete host does not pass")
	}
}

func TestProblemsAreNamed(t *testing.T) {
	tests := []struct {
		name  string
		in    func(root string) Input
		check string
		want  string
	}{
		{"no subuid range", func(r string) Input {
			return Input{UID: 1001, User: "bob", NofileHard: 20000, NeedNofile: 16384, Root: r}
		}, "subuid range", "no range for bob (uid 1001)"},
		{"low nofile", func(r string) Input {
			return Input{UID: 0, NofileHard: 4096, NeedNofile: 16384, Root: r}
		}, "nofile limit", "hard limit 4096, builds set 16384"},
		{"no overlay", func(r string) Input {
			os.WriteFile(filepath.Join(r, "proc/filesystems"), []byte("nodev\tproc\n"), 0o644)
			return Input{UID: 0, NofileHard: 20000, NeedNofile: 16384, Root: r}
		}, "overlayfs", "does not list overlay"},
		{"missing namespace", func(r string) Input {
			os.Remove(filepath.Join(r, "proc/self/ns/net"))
			return Input{UID: 0, NofileHard: 20000, NeedNofile: 16384, Root: r}
		}, "namespaces", "no net namespace"},
		{"old kernel rootless", func(r string) Input {
			os.WriteFile(filepath.Join(r, "proc/sys/kernel/osrelease"), []byte("5.10.0-28-amd64\n"), 0o644)
			return Input{UID: 1000, User: "alice", NofileHard: 20000, NeedNofile: 16384, Root: r}
		}, "overlayfs in userns", "need 5.11"},
		{"newuidmap not setuid", func(r string) Input {
			os.Chmod(filepath.Join(r, "usr/bin/newuidmap"), 0o755)
			return Input{UID: 1000, User: "alice", NofileHard: 20000, NeedNofile: 16384, Root: r}
		}, "newuidmap/newgidmap", "neither setuid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := fakeHost(t)
			cs := Run(tt.in(root))
			c := find(cs, tt.check)
			if c.OK || !strings.Contains(c.String(), tt.want) || c.Fix == "" {
				t.Errorf("%s = %q (ok %v), want a failure naming %q with a fix", tt.check, c, c.OK, tt.want)
			}
		})
	}
}

func TestRangeSizeAddsUpRanges(t *testing.T) {
	f := filepath.Join(t.TempDir(), "subuid")
	os.WriteFile(f, []byte("alice:100000:1000\n1000:200000:65536\nbob:1:5\n"), 0o644)
	got, err := rangeSize(f, "alice", "1000")
	if err != nil || got != 66536 {
		t.Errorf("rangeSize = %d, %v; want 66536", got, err)
	}
}

// Rootless is a supported mode: it needs the user-namespace checks, and a
// missing subordinate range makes the host unfit (exit 1 in doctor).
func TestRootlessRequirements(t *testing.T) {
	root := fakeHost(t)
	ok := Run(Input{UID: 1000, User: "alice", NofileHard: 20000, NeedNofile: 16384, Root: root})
	if !OK(ok) {
		t.Errorf("a rootless host with ranges fails: %v", ok)
	}
	bad := Run(Input{UID: 1001, User: "bob", NofileHard: 20000, NeedNofile: 16384, Root: root})
	if OK(bad) {
		t.Error("a user without a subuid range passes")
	}
}
