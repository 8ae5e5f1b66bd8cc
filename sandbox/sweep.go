package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"
)

// sweep removes what runs that died without cleaning up (kill -9, power
// loss, OOM killer) left under root: their processes, cgroups, mount stubs
// in the rootfs and state directories. Runs that are alive hold their lock
// and are skipped, so concurrent sandboxes sharing a state root are safe.
func sweep(root string) error {
	entries, err := os.ReadDir(root)
	if err != nil {
		return fmt.Errorf("sweep state directory %s: %w", root, err)
	}
	var errs []error
	for _, e := range entries {
		if !e.IsDir() || !isRunName(e.Name()) {
			continue
		}
		if err := sweepOne(root, e.Name()); err != nil {
			errs = append(errs, err)
		}
	}
	if err := sweepOrphanCgroups(time.Now().Add(-newGrace)); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// sweepOrphanCgroups removes run cgroups whose state directory is gone
// (deleted with a temporary directory, or by hand) once they are empty and
// older than before: a live run's cgroup always holds its init process.
func sweepOrphanCgroups(before time.Time) error {
	v1, _ := filepath.Glob("/sys/fs/cgroup/*" + cgroupRoot + "/sbx-*")
	v2, _ := filepath.Glob("/sys/fs/cgroup" + cgroupRoot + "/sbx-*")
	seen := map[string]bool{}
	var errs []error
	for _, dir := range append(v1, v2...) {
		id := filepath.Base(dir)
		if !seen[id] {
			seen[id] = true
			errs = append(errs, sweepOrphanCgroup(id, before))
		}
	}
	return errors.Join(errs...)
}

// sweepOrphanCgroup removes run id's cgroups if every one of them is empty
// and older than before.
func sweepOrphanCgroup(id string, before time.Time) error {
	v1, _ := filepath.Glob("/sys/fs/cgroup/*" + cgroupRoot + "/" + id)
	v2, _ := filepath.Glob("/sys/fs/cgroup" + cgroupRoot + "/" + id)
	dirs := append(v1, v2...)
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil || fi.ModTime().After(before) || !cgroupEmpty(dir) {
			return nil
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	return destroyCgroup(id)
}

func cgroupEmpty(dir string) bool {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	return err == nil && len(strings.TrimSpace(string(b))) == 0
}

func sweepOne(root, name string) error {
	dir := filepath.Join(root, name)
	if strings.HasPrefix(name, newPrefix) {
		fi, err := os.Stat(dir)
		if err != nil || time.Since(fi.ModTime()) < newGrace {
			return nil // starting, or already gone
		}
	}
	lock, err := lockDir(dir, false)
	switch {
	case errors.Is(err, os.ErrNotExist):
		// Killed before it took its lock: nothing ran yet.
	case err != nil:
		return fmt.Errorf("sweep %s: %w", dir, err)
	case lock == nil:
		return nil // alive
	default:
		defer lock.Close()
	}
	id := strings.TrimPrefix(name, newPrefix)
	if err := destroyCgroup(id); err != nil {
		return fmt.Errorf("sweep %s: %w", dir, err)
	}
	if st, ok := loadStubs(dir); ok {
		st.remove()
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("sweep %s: %w", dir, err)
	}
	return nil
}

// destroyCgroup kills every process left in a run's cgroup and removes it.
// With a private pid namespace the kernel already killed them when init
// died; this is for the window before init existed.
func destroyCgroup(id string) error {
	m, err := manager.New(&cgroups.Cgroup{Path: cgroupsPath(id), Resources: &cgroups.Resources{}})
	if err != nil {
		return fmt.Errorf("open cgroup %s: %w", cgroupsPath(id), err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, err := m.GetAllPids()
		if err != nil || len(pids) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kill processes of cgroup %s: %d still alive after 5s", cgroupsPath(id), len(pids))
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := m.Destroy(); err != nil {
		return fmt.Errorf("remove cgroup %s: %w", cgroupsPath(id), err)
	}
	return nil
}
