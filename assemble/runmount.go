package assemble

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"

	"github.com/containerd/continuity/fs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/stevedore-build/stevedore/layers"
	"github.com/stevedore-build/stevedore/sandbox"
)

// runMounts are a RUN's --mount flags made ready for the sandbox; release
// undoes what setting them up mounted or created.
type runMounts struct {
	mounts  []sandbox.Mount
	key     []string
	release []func()
}

func (m *runMounts) close() {
	for i := len(m.release) - 1; i >= 0; i-- {
		m.release[i]()
	}
}

// prepareMounts sets up RUN --mount=type=bind|cache|tmpfs as
// dispatchRunMounts does: a bind of the context or a stage (read-only
// unless rw, and then its writes are discarded), a cache directory that
// persists between builds under Builder.CacheMounts and never enters a
// layer, or a tmpfs. Relative targets are below the working directory.
func (d *dispatcher) prepareMounts(ctx context.Context, s *stageState, c *instructions.RunCommand) (*runMounts, error) {
	rm := &runMounts{}
	for _, m := range instructions.GetMounts(c) {
		target := m.Target
		if !path.IsAbs(target) {
			target = path.Join("/", s.workdir, target)
		}
		target = path.Clean(target)
		if target == "/" {
			rm.close()
			return nil, fmt.Errorf("invalid mount target %q", m.Target)
		}
		var err error
		switch m.Type {
		case instructions.MountTypeBind:
			err = d.bindMount(ctx, s, m, target, rm)
		case instructions.MountTypeCache:
			err = d.cacheMount(m, target, rm)
		case instructions.MountTypeTmpfs:
			rm.mounts = append(rm.mounts, sandbox.Mount{Dest: target, Type: "tmpfs", Size: m.SizeLimit})
			rm.key = append(rm.key, "tmpfs", target, strconv.FormatInt(m.SizeLimit, 10))
		default:
			err = fmt.Errorf("RUN --mount=type=%s is not supported by stevedore (bind, cache and tmpfs are)", m.Type)
		}
		if err != nil {
			rm.close()
			return nil, err
		}
	}
	return rm, nil
}

// bindMount binds a path of the context or of a stage.
func (d *dispatcher) bindMount(ctx context.Context, s *stageState, m *instructions.Mount, target string, rm *runMounts) error {
	root, chain, release, err := d.mountSource(ctx, s, m.From)
	if err != nil {
		return err
	}
	rm.release = append(rm.release, release)
	if !m.ReadOnly {
		// rw: writes go to a throwaway overlay upper directory.
		upper, err := d.newDir("bind-upper")
		if err != nil {
			return err
		}
		work, err := d.newDir("bind-work")
		if err != nil {
			return err
		}
		mnt, err := d.newDir("bind-rw")
		if err != nil {
			return err
		}
		unmount, err := layers.Mount([]string{root}, upper, work, mnt)
		if err != nil {
			return fmt.Errorf("--mount=type=bind,rw: %w", err)
		}
		rm.release = append(rm.release, func() { unmount(); os.RemoveAll(upper); os.RemoveAll(work); os.Remove(mnt) })
		root = mnt
	}
	src, err := fs.RootPath(root, path.Join("/", m.Source))
	if err != nil {
		return err
	}
	if _, err := os.Lstat(src); err != nil {
		return fmt.Errorf("--mount=type=bind,source=%s: %w", m.Source, trimRoots(err, root))
	}
	if chain == "" {
		h, err := hashSources(root, []string{path.Join("/", m.Source)})
		if err != nil {
			return err
		}
		chain = "files:" + h
	}
	rm.mounts = append(rm.mounts, sandbox.Mount{Dest: target, Type: "bind", Source: src, ReadOnly: m.ReadOnly})
	rm.key = append(rm.key, "bind", target, m.Source, strconv.FormatBool(m.ReadOnly), chain)
	return nil
}

// mountSource is the root a bind reads: the main context, a named context
// or a stage's filesystem (mounted read-only until release). chain is the
// stage's cache chain, "" for a local context.
func (d *dispatcher) mountSource(ctx context.Context, s *stageState, from string) (root, chain string, release func(), err error) {
	none := func() {}
	if from == "" {
		return d.t.ContextDir, "", none, nil
	}
	src, ok := d.p.lookup(s, from)
	if !ok {
		return "", "", nil, fmt.Errorf("--mount from=%s: not resolved with the stage graph (from= with variables is not supported)", from)
	}
	cs, err := d.readSource(ctx, s, src, from)
	if err != nil {
		return "", "", nil, err
	}
	if cs.dir != "" {
		return cs.dir, "", none, nil
	}
	ls, chain := cs.layers, cs.chain
	if len(ls) == 0 {
		empty, err := d.newDir("empty")
		return empty, chain, none, err
	}
	if err := d.materialize(ctx, ls); err != nil {
		return "", "", nil, err
	}
	mnt, err := d.newDir("mount-ro")
	if err != nil {
		return "", "", nil, err
	}
	unmount, err := layers.MountReadOnly(lowerDirs(ls), mnt)
	if err != nil {
		return "", "", nil, fmt.Errorf("mount --from=%s: %w", from, err)
	}
	return mnt, chain, func() { unmount(); os.Remove(mnt) }, nil
}

// cacheMount binds a persistent cache directory, created empty (mode,
// uid and gid as given, else 0755 root) on first use.
func (d *dispatcher) cacheMount(m *instructions.Mount, target string, rm *runMounts) error {
	if d.b.CacheMounts == "" {
		return fmt.Errorf("RUN --mount=type=cache needs a cache folder (the build has none)")
	}
	if m.From != "" || m.Source != "" {
		return fmt.Errorf("RUN --mount=type=cache with from= or source= is not supported by stevedore")
	}
	id := m.CacheID
	if id == "" {
		id = path.Clean(m.Target)
	}
	sum := sha256.Sum256([]byte(id))
	dir := filepath.Join(d.b.CacheMounts, hex.EncodeToString(sum[:]))
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		mode := os.FileMode(0o755)
		if m.Mode != nil {
			mode = os.FileMode(*m.Mode)
		}
		if err := os.MkdirAll(d.b.CacheMounts, 0o700); err != nil {
			return err
		}
		tmp, err := os.MkdirTemp(d.b.CacheMounts, ".new-")
		if err != nil {
			return err
		}
		uid, gid := 0, 0
		if m.UID != nil {
			uid = int(*m.UID)
		}
		if m.GID != nil {
			gid = int(*m.GID)
		}
		if err := os.Chown(tmp, uid, gid); err != nil {
			return err
		}
		if err := os.Chmod(tmp, mode); err != nil {
			return err
		}
		if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
			os.Remove(tmp)
		}
	}
	rm.mounts = append(rm.mounts, sandbox.Mount{Dest: target, Type: "bind", Source: dir, ReadOnly: m.ReadOnly})
	rm.key = append(rm.key, "cache", target, id, strconv.FormatBool(m.ReadOnly))
	return nil
}
