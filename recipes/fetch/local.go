package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// checkExisting re-verifies a file already at path. It returns present=true
// when the hash matches (the file is then left untouched). A file with the
// wrong hash is removed, so that a failed re-fetch leaves nothing that
// looks usable, and the mismatch is returned as bad for the error report.
func checkExisting(ctx context.Context, path, want string) (present bool, bad, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	if fi.IsDir() {
		return false, nil, fmt.Errorf("%s is a directory", path)
	}
	got, err := hashFile(ctx, path)
	if err != nil {
		return false, nil, err
	}
	if got == want {
		return true, nil, nil
	}
	if err := os.Remove(path); err != nil {
		return false, nil, err
	}
	return false, fmt.Errorf("present file removed: %w", &HashError{Got: got, Want: want}), nil
}

// mirrorCandidates lists where the mirror dirs may hold the file, most
// specific first: <dir>/<stage>/<origin>/<file>, then <dir>/<file>.
func mirrorCandidates(dirs []string, it Item) []string {
	stage := filepath.Base(filepath.Dir(filepath.Clean(it.Dest)))
	origin := filepath.Base(filepath.Clean(it.Dest))
	var out []string
	for _, d := range dirs {
		out = append(out, filepath.Join(d, stage, origin, it.File), filepath.Join(d, it.File))
	}
	return out
}

// placeLocal puts a local file (mirror dir or file:// URL) at final if its
// hash is want. It hard-links when it can, which costs no space on the same
// filesystem, and copies otherwise. A file whose mode is not 0644 is copied,
// since a link would carry its mode into the build context.
func placeLocal(ctx context.Context, src, final, want string) (int64, error) {
	fi, err := os.Stat(src)
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return 0, fmt.Errorf("%s: not a regular file", src)
	}
	if fi.Mode().Perm() == fileMode {
		err := linkVerified(ctx, src, final, want)
		if err == nil || !errors.Is(err, errLink) {
			return fi.Size(), err
		}
	}
	return copyVerified(ctx, src, final, want)
}

// errLink marks a failed os.Link, after which a copy is tried.
var errLink = errors.New("hard link failed")

// linkVerified hard-links src to a temp name next to final, verifies the
// linked content and renames it into place.
func linkVerified(ctx context.Context, src, final, want string) error {
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	tmp := tempName(final)
	if err := os.Link(src, tmp); err != nil {
		return fmt.Errorf("%w: %w", errLink, err)
	}
	defer os.Remove(tmp) // no-op after the rename
	got, err := hashFile(ctx, tmp)
	if err != nil {
		return err
	}
	if got != want {
		return &HashError{Got: got, Want: want}
	}
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	return syncDir(filepath.Dir(final))
}

// copyVerified copies src through a hashing temp file into final.
func copyVerified(ctx context.Context, src, final, want string) (int64, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	tmp, err := createTemp(final)
	if err != nil {
		return 0, err
	}
	defer tmp.abort()
	if _, err := io.Copy(tmp, ctxReader{ctx, in}); err != nil {
		return 0, err
	}
	return tmp.n, tmp.commit(want)
}
