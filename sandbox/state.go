package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A run's state lives in <state root>/<id>/:
//
//	lock   flock-ed for the whole run (a free lock means the run is dead);
//	       holds the mount stubs to remove from the rootfs (mountStubs)
//	<id>/  libcontainer's state
//
// A run directory is prepared under a ".new-" name and renamed once locked,
// so a concurrent sweep never takes a starting run for a dead one. The
// hosts and resolv.conf files all runs share are in <state root>/etc/.
const (
	lockFile   = "lock"
	newPrefix  = ".new-"
	cgroupRoot = "/stevedore"
	// newGrace is how old a ".new-" directory must be before a sweep takes
	// it for the leftover of a run killed while starting.
	newGrace = time.Minute
)

// runDir is the locked state directory of one live run.
type runDir struct {
	ID   string
	Path string
	lock *os.File
}

// newRunDir creates and locks a fresh run directory under root.
func newRunDir(root string) (*runDir, error) {
	id, err := newID()
	if err != nil {
		return nil, err
	}
	tmp := filepath.Join(root, newPrefix+id)
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return nil, fmt.Errorf("create run state directory %s: %w (make the state directory writable or choose another)", tmp, err)
	}
	lock, err := lockDir(tmp, true)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	final := filepath.Join(root, id)
	if err := os.Rename(tmp, final); err != nil {
		lock.Close()
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("rename run state directory %s: %w", tmp, err)
	}
	return &runDir{ID: id, Path: final, lock: lock}, nil
}

// close releases the run's lock and, when remove is set, its directory.
// A run whose container could not be destroyed keeps its directory, so the
// next sweep finds it and retries.
func (r *runDir) close(remove bool) error {
	defer r.lock.Close()
	if !remove {
		return nil
	}
	if err := os.RemoveAll(r.Path); err != nil {
		return fmt.Errorf("remove run state %s: %w", r.Path, err)
	}
	return nil
}

// saveStubs records st in the run's lock file, for a sweep to finish.
func (r *runDir) saveStubs(st mountStubs) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if _, err := r.lock.WriteAt(b, 0); err != nil {
		return fmt.Errorf("write %s: %w", r.lock.Name(), err)
	}
	return nil
}

func loadStubs(dir string) (mountStubs, bool) {
	var st mountStubs
	b, err := os.ReadFile(filepath.Join(dir, lockFile))
	if err != nil || json.Unmarshal(b, &st) != nil || st.Rootfs == "" {
		return mountStubs{}, false
	}
	return st, true
}

// lockDir opens dir/lock and takes an exclusive flock on it: blocking when
// create is set (a new run), non-blocking otherwise (a sweep), in which case
// a nil file and nil error mean the run is alive.
func lockDir(dir string, create bool) (*os.File, error) {
	p := filepath.Join(dir, lockFile)
	flags := os.O_RDWR | unix.O_CLOEXEC
	if create {
		flags |= os.O_CREATE | os.O_EXCL
	}
	f, err := os.OpenFile(p, flags, 0o600)
	if err != nil {
		if !create && errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("open lock %s: %w", p, err)
	}
	how := unix.LOCK_EX
	if !create {
		how |= unix.LOCK_NB
	}
	if err := unix.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, nil
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	return f, nil
}

func newID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("generate run id: %w", err)
	}
	return "sbx-" + hex.EncodeToString(b[:]), nil
}

func cgroupsPath(id string) string { return cgroupRoot + "/" + id }

// isRunName tells run directories from anything else in the state root.
func isRunName(name string) bool {
	return strings.HasPrefix(strings.TrimPrefix(name, newPrefix), "sbx-")
}
