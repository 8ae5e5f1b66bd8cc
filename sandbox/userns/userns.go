// Package userns runs stevedore itself inside a new user and mount
// namespace for rootless builds: root inside maps to the caller, ids 1..N
// to the caller's subordinate range (newuidmap/newgidmap set the maps),
// the layout Podman uses. Inside, the process is root of its namespace, so
// overlay mounts, chown and the sandbox work and ownership on disk is real
// (uid 1000 in the image is subordinate id start+999 on the host).
package userns

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// Range is one line of /etc/subuid or /etc/subgid.
type Range struct{ Start, Count int }

// Lookup finds name's (or uid's) first range in a subuid/subgid file.
func Lookup(file, name string, id int) (Range, error) {
	f, err := os.Open(file)
	if err != nil {
		return Range{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(p) != 3 || (p[0] != name && p[0] != strconv.Itoa(id)) {
			continue
		}
		start, err1 := strconv.Atoi(p[1])
		count, err2 := strconv.Atoi(p[2])
		if err1 == nil && err2 == nil && count > 0 {
			return Range{start, count}, nil
		}
	}
	if err := sc.Err(); err != nil {
		return Range{}, err
	}
	return Range{}, fmt.Errorf("no range for %s (uid %d) in %s: as root, usermod --add-sub%ss 100000-165535 %s (stevedore doctor checks this)", name, id, file, file[len(file)-3:], name)
}

// Mapping is what the namespace maps.
type Mapping struct {
	UID, GID       int // the caller, mapped to 0
	SubUID, SubGID Range
	// NewUIDMap and NewGIDMap are the setuid helpers (uidmap package).
	NewUIDMap, NewGIDMap string
}

// StageEnv marks a re-executed stevedore: "wait" until the parent has
// written the maps, then re-exec as namespace root ("ready").
const StageEnv = "_STEVEDORE_USERNS"

// Run re-executes exe with args inside a new user and mount namespace
// and returns its exit status. The child waits on a pipe until the maps
// are written, then execs itself again so that it starts as root of the
// namespace with full capabilities in it.
func Run(exe string, args, env []string, m Mapping) (int, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(env, StageEnv+"=wait")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{r}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return 0, fmt.Errorf("start in a user namespace: %w", err)
	}
	r.Close()
	pid := strconv.Itoa(cmd.Process.Pid)
	for _, mp := range []struct {
		tool   string
		id     int
		ranges Range
	}{{m.NewUIDMap, m.UID, m.SubUID}, {m.NewGIDMap, m.GID, m.SubGID}} {
		out, err := exec.Command(mp.tool, pid, "0", strconv.Itoa(mp.id), "1", "1", strconv.Itoa(mp.ranges.Start), strconv.Itoa(mp.ranges.Count)).CombinedOutput()
		if err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			w.Close()
			return 0, fmt.Errorf("%s: %v: %s (stevedore doctor checks the setup)", mp.tool, err, strings.TrimSpace(string(out)))
		}
	}
	w.Write([]byte{1})
	w.Close()
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), nil
	}
	return 0, err
}

// WaitForMaps is the first thing a re-executed child in stage "wait"
// does: it blocks until the parent has written the id maps (the parent
// writes one byte to the pipe passed as sync).
func WaitForMaps(sync *os.File) error {
	defer sync.Close()
	b := make([]byte, 1)
	if _, err := sync.Read(b); err != nil {
		return fmt.Errorf("wait for the user namespace maps: %w", err)
	}
	return nil
}

// Exec replaces the process with exe: run after WaitForMaps so that the
// new image starts as root of the namespace, with full capabilities in it.
func Exec(exe string, args, env []string) error {
	return syscall.Exec(exe, args, env)
}
