package assemble

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/continuity/fs"
	"github.com/moby/go-archive"
	"github.com/moby/go-archive/chrootarchive"
	"github.com/moby/go-archive/compression"
	"github.com/moby/sys/user"
	copy "github.com/tonistiigi/fsutil/copy"
)

// copyOp is one source of a COPY/ADD, as BuildKit's FileActionCopy.
type copyOp struct {
	srcRoot, src   string
	destRoot, dest string
	mode           copyMode
	user           *copy.User // --chown, resolved
	fromContext    bool       // a local context: files arrive owned by 0:0
	unpack         bool       // ADD: extract local archives
	wildcard       bool
	dirContents    bool
	followLinks    bool
	include        []string // COPY --parents pattern
	exclude        []string // COPY --exclude patterns
}

// run is BuildKit's docopy.
func (o copyOp) run(ctx context.Context) error {
	srcPath := cleanPath(path.Join("/", path.Clean(filepath.ToSlash(o.src))))
	destPath := cleanPath(o.dest)
	ch := o.chowner()
	opt := func(ci *copy.CopyInfo) {
		ci.Chown = ch
		ci.Mode = o.mode.mode
		ci.ModeStr = o.mode.modeStr
		ci.CopyDirContents = o.dirContents
		ci.IncludePatterns = o.include
		ci.ExcludePatterns = o.exclude
		ci.FollowLinks = o.followLinks
		ci.XAttrErrorHandler = func(dst, src, key string, err error) error {
			log.Println(err)
			return nil
		}
	}
	matches := []string{srcPath}
	if o.wildcard {
		m, err := copy.ResolveWildcards(o.srcRoot, srcPath, o.followLinks)
		if err != nil {
			return err
		}
		if len(m) == 0 {
			return nil
		}
		matches = m
	}
	for _, s := range matches {
		if o.unpack {
			ok, err := unpackArchive(o.srcRoot, s, o.destRoot, destPath, ch, o.user)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
		}
		if err := copy.Copy(ctx, o.srcRoot, s, o.destRoot, destPath, opt); err != nil {
			return trimRoots(err, o.srcRoot, o.destRoot)
		}
	}
	return nil
}

// chowner decides the owner of copied files: --chown when given, 0:0 for
// files of a local context (BuildKit's client resets them), else the
// source's owner.
func (o copyOp) chowner() copy.Chowner {
	if o.user != nil {
		u := *o.user
		return func(*copy.User) (*copy.User, error) { return &u, nil }
	}
	if o.fromContext {
		return func(old *copy.User) (*copy.User, error) {
			if old == nil {
				return nil, nil
			}
			return &copy.User{}, nil
		}
	}
	return func(old *copy.User) (*copy.User, error) { return old, nil }
}

// unpackArchive is BuildKit's unpack: a regular file that decompresses
// into a tar stream is extracted into dest (chrooted), anything else is
// left for a plain copy.
func unpackArchive(srcRoot, src, destRoot, dest string, ch copy.Chowner, u *copy.User) (bool, error) {
	src, err := fs.RootPath(srcRoot, src)
	if err != nil {
		return false, err
	}
	if ok, err := isArchive(src); !ok || err != nil {
		return false, err
	}
	if err := checkArchive(src); err != nil {
		return false, err
	}
	dest, err = fs.RootPath(destRoot, dest)
	if err != nil {
		return false, err
	}
	if _, err := copy.MkdirAll(dest, 0o755, ch, nil); err != nil {
		return false, err
	}
	f, err := os.Open(src)
	if err != nil {
		return false, err
	}
	defer f.Close()
	opts := &archive.TarOptions{BestEffortXattrs: true}
	if u != nil {
		opts.ChownOpts = &archive.ChownOpts{UID: u.UID, GID: u.GID}
	}
	// Untar works chrooted in dest, so its errors name paths inside the
	// image: say where on the host, so that a full disk names its folder.
	if err := chrootarchive.Untar(f, dest, opts); err != nil {
		return true, fmt.Errorf("unpack %s into %s: %w", filepath.Base(src), dest, err)
	}
	return true, nil
}

func isArchive(p string) (bool, error) {
	fi, err := os.Lstat(p)
	if err != nil || fi.Mode()&os.ModeType != 0 {
		return false, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return false, nil
	}
	defer f.Close()
	r, err := compression.DecompressStream(f)
	if err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			return false, err
		}
		return false, nil
	}
	defer r.Close()
	_, err = tar.NewReader(r).Next()
	return err == nil, nil
}

// cleanPath is BuildKit's cleanPath: absolute, keeping a trailing "/" or "/.".
func cleanPath(s string) string {
	s = filepath.FromSlash(s)
	s2 := filepath.Join("/", s)
	if strings.HasSuffix(s, "/.") {
		if s2 != "/" {
			s2 += "/"
		}
		s2 += "."
	} else if strings.HasSuffix(s, "/") && s2 != "/" {
		s2 += "/"
	}
	return s2
}

// resolveChown resolves --chown=user[:group] against the destination's
// own /etc/passwd and /etc/group, as BuildKit's readUser does. "" is nil.
func resolveChown(root, chown string) (*copy.User, error) {
	if chown == "" {
		return nil, nil
	}
	var u copy.User
	parts := strings.SplitN(chown, ":", 2)
	if id, err := parseUID(parts[0]); err == nil {
		u.UID, u.GID = id, id
	} else {
		users, err := readDBFile(root, "/etc/passwd", func(r *os.File) ([]user.User, error) {
			return user.ParsePasswdFilter(r, func(x user.User) bool { return x.Name == parts[0] })
		})
		if err != nil {
			return nil, err
		}
		if len(users) > 0 {
			u.UID, u.GID = users[0].Uid, users[0].Gid
		}
	}
	if len(parts) == 2 && parts[1] != "" {
		if id, err := parseUID(parts[1]); err == nil {
			u.GID = id
		} else {
			groups, err := readDBFile(root, "/etc/group", func(r *os.File) ([]user.Group, error) {
				return user.ParseGroupFilter(r, func(g user.Group) bool { return g.Name == parts[1] })
			})
			if err != nil {
				return nil, err
			}
			if len(groups) > 0 {
				u.GID = groups[0].Gid
			}
		}
	}
	return &u, nil
}

func parseUID(s string) (int, error) {
	if s == "root" {
		return 0, nil
	}
	v, err := strconv.ParseInt(s, 10, 32)
	return int(v), err
}

// readDBFile reads /etc/passwd or /etc/group inside root; a missing file
// means no entries.
func readDBFile[T any](root, name string, parse func(*os.File) ([]T, error)) ([]T, error) {
	p, err := fs.RootPath(root, name)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parse(f)
}

// chownerFor resolves a USER value for a WORKDIR's created directories.
func chownerFor(root, usr string) (copy.Chowner, error) {
	if usr == "" {
		return nil, nil
	}
	u, err := resolveChown(root, usr)
	if err != nil {
		return nil, err
	}
	return func(*copy.User) (*copy.User, error) { return u, nil }, nil
}

// mkdirAll creates p (absolute inside root) and its parents with mode and
// time, as BuildKit's mkdir file action with parents.
func mkdirAll(root, p string, mode os.FileMode, ch copy.Chowner, tm *time.Time) error {
	full, err := fs.RootPath(root, p)
	if err != nil {
		return err
	}
	_, err = copy.MkdirAll(full, mode&0o777, ch, tm)
	return err
}

// trimRoots removes host paths from an error, so messages name paths as
// the recipe does.
func trimRoots(err error, roots ...string) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		for _, r := range roots {
			pe.Path = strings.TrimPrefix(pe.Path, r)
		}
	}
	return err
}
