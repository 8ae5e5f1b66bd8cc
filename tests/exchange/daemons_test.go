package exchange

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// containerdConfig is a private containerd: its own root, state and
// sockets, no CRI plugin (not needed to import images, and it wants a
// CNI setup).
const containerdConfig = `version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[debug]
  address = %q
`

// startContainerd runs Debian's containerd with a private config, root,
// state and socket in a temp dir and returns the socket path.
func startContainerd(t *testing.T) string {
	t.Helper()
	dir := shortTemp(t)
	sock := filepath.Join(dir, "c.sock")
	conf := filepath.Join(dir, "config.toml")
	body := fmt.Sprintf(containerdConfig, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, sock+".ttrpc", filepath.Join(dir, "debug.sock"))
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := startDaemon(t, "containerd", "--config", conf)
	ready := func() bool {
		return exec.Command("ctr", "--address", sock, "version").Run() == nil
	}
	waitFor(t, "containerd on "+sock, logs, ready)
	return sock
}

// startDaemon starts name and stops it (by its own pid) when the test
// ends; it returns the buffer collecting its output.
func startDaemon(t *testing.T, name string, args ...string) *bytes.Buffer {
	t.Helper()
	cmd := exec.Command(name, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return &logs
}

// waitFor polls ready for 20 s; a daemon that does not come up fails the
// test with its log.
func waitFor(t *testing.T, what string, logs *bytes.Buffer, ready func() bool) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 20*time.Second; time.Sleep(100 * time.Millisecond) {
		if ready() {
			return
		}
	}
	t.Fatalf("%s did not start:\n%s", what, logs.String())
}
