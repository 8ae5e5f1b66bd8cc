package assemble

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/containerd/continuity/fs"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/util/system"
	copy "github.com/tonistiigi/fsutil/copy"
)

// copySpec is a COPY or ADD after expansion.
type copySpec struct {
	cmd   instructions.Command
	isAdd bool
	sd    instructions.SourcesAndDest
	from  string
	chown string
	chmod string
	// exclude are --exclude patterns; parents is --parents; link is
	// --link (a layer copied onto nothing, merged on top).
	exclude []string
	parents bool
	link    bool
}

func copyFromCopy(c *instructions.CopyCommand) copySpec {
	return copySpec{cmd: c, sd: c.SourcesAndDest, from: c.From, chown: c.Chown, chmod: c.Chmod,
		exclude: c.ExcludePatterns, parents: c.Parents, link: c.Link}
}

func copyFromAdd(c *instructions.AddCommand) copySpec {
	return copySpec{cmd: c, isAdd: true, sd: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod,
		exclude: c.ExcludePatterns, link: c.Link}
}

// copyMode is a parsed --chmod: an octal mode or a symbolic one.
type copyMode struct {
	mode    *int
	modeStr string
}

func parseChmod(s string) (copyMode, error) {
	if s == "" {
		return copyMode{}, nil
	}
	if p, err := strconv.ParseUint(s, 8, 32); err == nil {
		if p > 0o7777 {
			return copyMode{}, fmt.Errorf("invalid chmod parameter: '%v'. it should be octal string and between 0 and 07777", s)
		}
		m := int(p)
		return copyMode{mode: &m}, nil
	}
	return copyMode{modeStr: s}, nil
}

// commitMessage is the history text of a COPY/ADD: flags shown, --from
// never, then sources, heredocs and the destination as written.
func (c copySpec) commitMessage() string {
	var b bytes.Buffer
	if c.isAdd {
		b.WriteString("ADD")
	} else {
		b.WriteString("COPY")
	}
	if c.parents {
		b.WriteString(" --parents")
	}
	if c.chown != "" {
		b.WriteString(" --chown=" + c.chown)
	}
	if c.chmod != "" {
		b.WriteString(" --chmod=" + c.chmod)
	}
	for _, src := range c.sd.SourcePaths {
		b.WriteString(" " + src)
	}
	for _, h := range c.sd.SourceContents {
		b.WriteString(" <<" + h.Path)
	}
	b.WriteString(" " + c.sd.DestPath)
	return b.String()
}

// dispatchCopy executes COPY/ADD as BuildKit's file op does (fsutil's
// copy, go-archive's untar), in a new layer.
func (d *dispatcher) dispatchCopy(ctx context.Context, s *stageState, c copySpec) error {
	dest, err := pathRelativeToWorkingDir(s.workdir, c.sd.DestPath)
	if err != nil {
		return err
	}
	mode, err := parseChmod(c.chmod)
	if err != nil {
		return err
	}
	// --link with --chmod is a plain copy in v0.34.2 (dispatchCopy).
	link := c.link && c.chmod == ""
	if c.link && c.chown != "" && chownByName(c.chown) {
		return fmt.Errorf("--chown=%s: user and group names can't be resolved when used with --link, use numeric uid[:gid] instead", c.chown)
	}
	src, err := d.resolveSource(ctx, s, c)
	if err != nil {
		return err
	}
	if src.dir == "" {
		// A stage or image source is keyed by its chain: a cached result
		// needs neither the source mounted nor its layers unpacked.
		ck, err := d.copyKey(s, c, dest, "", src.chain)
		if err != nil {
			return err
		}
		if d.useCached(s, ck) {
			d.historyEntry(s, c.commitMessage(), true, true)
			return nil
		}
	}
	err = d.withSource(ctx, src, func(srcRoot string, fromContext bool, srcChain string) error {
		ck, err := d.copyKey(s, c, dest, srcRoot, srcChain)
		if err != nil {
			return err
		}
		return d.commitLinked(ctx, s, ck, link, func(root string) error {
			u, err := resolveChown(root, c.chown)
			if err != nil {
				return err
			}
			for _, src := range c.sd.SourcePaths {
				src, include, required, err := parentsSource(src, c.parents)
				if err != nil {
					return err
				}
				if err := checkRequired(srcRoot, required); err != nil {
					return err
				}
				op := copyOp{srcRoot: srcRoot, src: src, destRoot: root, dest: dest, mode: mode, user: u,
					fromContext: fromContext, unpack: c.isAdd, wildcard: true, dirContents: true, followLinks: true,
					include: include, exclude: c.exclude}
				if err := op.run(ctx); err != nil {
					return err
				}
			}
			return d.copyHeredocs(ctx, c, root, dest, mode, u)
		})
	})
	if err != nil {
		return err
	}
	d.historyEntry(s, c.commitMessage(), true, true)
	return nil
}

// copySource is what a COPY/ADD reads from: a local directory (the
// build context or a named local context), or a stage's or image's layers
// with their cache chain.
type copySource struct {
	dir    string
	layers []*Layer
	chain  string
}

// resolveSource finds the source of c without reading or unpacking it.
func (d *dispatcher) resolveSource(ctx context.Context, s *stageState, c copySpec) (copySource, error) {
	if c.from == "" {
		return copySource{dir: d.t.ContextDir}, nil
	}
	for _, dep := range s.deps {
		if strings.EqualFold(dep.name, c.from) || strconv.Itoa(dep.index) == c.from {
			return d.readSource(ctx, s, dep, c.from)
		}
	}
	return copySource{}, fmt.Errorf("--from=%s: source not resolved", c.from)
}

// readSource is what a COPY --from or a RUN --mount from= of s reads from
// src: a named local context, an image (a named image context, or the one
// that replaces a stage), or a stage's result — also when that stage
// starts from an image.
func (d *dispatcher) readSource(ctx context.Context, s, src *stageState, from string) (copySource, error) {
	switch {
	case src.contextDir != "":
		return copySource{dir: src.contextDir}, nil
	case src.imageRef != "" && (src.index < 0 || src.replaced):
		li, err := d.loadImage(ctx, src.imageRef, s.platform)
		if err != nil {
			return copySource{}, fmt.Errorf("--from=%s: %w", from, err)
		}
		return copySource{layers: li.layers, chain: imageChain(li.layers)}, nil
	case !src.dispatched:
		return copySource{}, fmt.Errorf("--from=%s: stage %s was not built", from, src.name)
	}
	chain := src.chain
	if chain == "" {
		chain = "no-cache"
	}
	return copySource{layers: src.layers, chain: chain}, nil
}

// withSource provides the root directory a COPY/ADD reads from.
// srcChain is the source's cache chain when it is a stage or an image, ""
// for a local context (whose files are hashed).
func (d *dispatcher) withSource(ctx context.Context, src copySource, fn func(root string, fromContext bool, srcChain string) error) error {
	if src.dir != "" {
		return fn(src.dir, true, "")
	}
	return d.withMounted(ctx, src.layers, func(root string) error { return fn(root, false, src.chain) })
}

// copyHeredocs writes each heredoc source as a 0644 file, as BuildKit's
// Mkfile does, and copies it to the destination.
func (d *dispatcher) copyHeredocs(ctx context.Context, c copySpec, root, dest string, mode copyMode, u *copy.User) error {
	for _, h := range c.sd.SourceContents {
		tmp, err := d.newDir("heredoc")
		if err != nil {
			return err
		}
		name, err := system.CheckSystemDriveAndRemoveDriveLetter(h.Path, "linux", false)
		if err != nil {
			return err
		}
		p, err := fs.RootPath(tmp, filepath.Join("/", name))
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFileMode(p, []byte(h.Data), 0o644); err != nil {
			return err
		}
		if err := d.heredocTime(p); err != nil {
			return err
		}
		op := copyOp{srcRoot: tmp, src: filepath.ToSlash(filepath.Join("/", name)), destRoot: root, dest: dest, mode: mode, user: u}
		err = op.run(ctx)
		os.RemoveAll(tmp)
		if err != nil {
			return err
		}
	}
	return nil
}

// heredocTime gives the heredoc file p the time SOURCE_DATE_EPOCH.
// BuildKit makes one Mkfile vertex of equal heredocs, so every copy of a
// heredoc has the one time that vertex first ran at, and a second COPY of
// it is unchanged for the differ (campaign seed 10395). A fixed time gives
// that on a cold build and after a layer cache hit alike (cached layers
// come back with their times clamped to the epoch): equal times with no
// nanoseconds make the differ compare content.
func (d *dispatcher) heredocTime(p string) error {
	return os.Chtimes(p, d.t.Epoch, d.t.Epoch)
}

// writeFileMode writes a file with exactly mode, whatever the umask.
func writeFileMode(p string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(p, data, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

// pathRelativeToWorkingDir resolves a destination against the working
// directory, keeping a trailing slash, as dockerfile2llb does.
func pathRelativeToWorkingDir(workdir, p string) (string, error) {
	if workdir == "" {
		workdir = "/"
	}
	if strings.HasPrefix(p, "/") {
		return system.NormalizePath("/", p, "linux", true)
	}
	if p == "." || p == "" {
		p = "./"
	}
	return system.NormalizePath(workdir, p, "linux", true)
}

// copyKey is a COPY/ADD's cache key: the instruction as history shows it,
// the resolved destination and working directory, the heredocs, and what
// it reads (a source chain, or the hash of the matched context files).
func (d *dispatcher) copyKey(s *stageState, c copySpec, dest, srcRoot, srcChain string) (string, error) {
	if d.b.Cache == nil {
		return "", nil
	}
	src := srcChain
	if src == "" {
		h, err := hashSources(srcRoot, c.sd.SourcePaths)
		if err != nil {
			return "", fmt.Errorf("hash sources: %w", err)
		}
		src = "files:" + h
	}
	fields := []string{"COPY", fmt.Sprint(c.isAdd), c.commitMessage(), dest, s.workdir, src,
		fmt.Sprint(c.link && c.chmod == ""), joinFields(c.exclude)}
	for _, h := range c.sd.SourceContents {
		fields = append(fields, h.Path, h.Data)
	}
	return d.cacheKey(fields...), nil
}
