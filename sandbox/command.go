package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
)

// ErrCommandNotFound is wrapped by Run's error when Args[0] is not an
// executable file in the rootfs.
var ErrCommandNotFound = errors.New("command not found in rootfs")

// withDefaultEnv adds PATH (DefaultPath) when env has none, as BuildKit's
// Dockerfile frontend does from the image config.
func withDefaultEnv(env []string) []string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATH=") {
			return env
		}
	}
	return append(append([]string(nil), env...), "PATH="+DefaultPath)
}

// envValue returns the last value of key in env.
func envValue(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

// checkCommand finds args0 in rootfs the way the container's execve will:
// a name with a slash relative to cwd, else each PATH directory. Failing
// here gives a clear error instead of libcontainer's "exec: no such file".
func checkCommand(rootfs, cwd, arg0, pathEnv string) error {
	candidates := []string{inDir(cwd, arg0)}
	if !strings.Contains(arg0, "/") {
		candidates = nil
		for _, dir := range strings.Split(pathEnv, ":") {
			candidates = append(candidates, inDir(inDir(cwd, dir), arg0))
		}
	}
	for _, c := range candidates {
		p, err := securejoin.SecureJoin(rootfs, c)
		if err != nil {
			continue
		}
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return nil
		}
	}
	return fmt.Errorf("run %q in %s: %w (PATH=%s): install it in the rootfs or fix the command",
		arg0, rootfs, ErrCommandNotFound, pathEnv)
}

// inDir resolves p against dir unless p is absolute.
func inDir(dir, p string) string {
	if path.IsAbs(p) {
		return path.Clean(p)
	}
	return path.Join(dir, p)
}

// ensureCwd creates the working directory when missing, mode 0755 and owned
// by the process's user, as BuildKit's runc executor does.
func ensureCwd(rootfs, cwd string, id ids) error {
	p, err := securejoin.SecureJoin(rootfs, cwd)
	if err != nil {
		return fmt.Errorf("resolve working directory %s in %s: %w", cwd, rootfs, err)
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := user.MkdirAllAndChown(p, 0o755, id.UID, id.GID); err != nil {
		return fmt.Errorf("create working directory %s in %s: %w", cwd, rootfs, err)
	}
	return nil
}
