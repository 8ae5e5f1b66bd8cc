package sandbox

import (
	"os"
	"testing"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/manager"
)

// TestSweepOrphanCgroup leaves an empty run cgroup without a state
// directory behind, as a run whose temporary state directory was deleted
// would, and checks that only an old one is removed.
func TestSweepOrphanCgroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	id, err := newID()
	if err != nil {
		t.Fatal(err)
	}
	m, err := manager.New(&cgroups.Cgroup{Path: cgroupsPath(id), Resources: &cgroups.Resources{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Destroy() })
	exists := func() bool {
		for _, p := range m.GetPaths() {
			if _, err := os.Stat(p); err == nil {
				return true
			}
		}
		return false
	}
	// Too young: a run that is starting.
	if err := sweepOrphanCgroup(id, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if !exists() {
		t.Fatal("a young run cgroup was removed")
	}
	if err := sweepOrphanCgroup(id, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if exists() {
		t.Errorf("orphan cgroup %s survived the sweep: %v", id, m.GetPaths())
	}
}
