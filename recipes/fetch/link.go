package fetch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// LinkInto makes every file of srcDir (fetch/<stage>/<origin>) available in
// dstDir (packages/<stage>/<origin>/fetch), as StageX does before a build,
// so that recipes can say "ADD fetch/<file> .". Each file is hard-linked,
// or copied when linking fails (another filesystem), and always appears
// atomically: a temp name in dstDir, then a rename. A dstDir file that is
// the same file or has the same bytes is left alone; other dstDir files are
// not touched. srcDir must hold only regular files (hidden temp files of a
// running or crashed Fetch are skipped).
func LinkInto(srcDir, dstDir string) error {
	entries, err := os.ReadDir(srcDir)
	if err != nil {
		return fmt.Errorf("link fetch dir %s: %w", srcDir, err)
	}
	if err := os.MkdirAll(dstDir, 0o755); err != nil {
		return fmt.Errorf("link fetch dir %s: %w", srcDir, err)
	}
	linked := false
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		src, dst := filepath.Join(srcDir, e.Name()), filepath.Join(dstDir, e.Name())
		if !e.Type().IsRegular() {
			return fmt.Errorf("link fetch dir %s: %s is not a regular file", srcDir, e.Name())
		}
		changed, err := linkOne(src, dst)
		if err != nil {
			return fmt.Errorf("link %s into %s: %w", src, dstDir, err)
		}
		linked = linked || changed
	}
	if !linked {
		// Nothing renamed: nothing to make durable.
		return nil
	}
	return syncDir(dstDir)
}

// linkOne puts src at dst unless dst already has the same content; it
// reports whether it did.
func linkOne(src, dst string) (bool, error) {
	same, err := sameContent(src, dst)
	if err != nil || same {
		return false, err
	}
	tmp := tempName(dst)
	if err := os.Link(src, tmp); err != nil {
		if err := copyFile(src, tmp); err != nil {
			os.Remove(tmp)
			return false, err
		}
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return false, err
	}
	return true, nil
}

// sameContent reports whether dst is src or a byte-identical regular file
// with the same mode (the mode ends up in the image).
func sameContent(src, dst string) (bool, error) {
	di, err := os.Lstat(dst)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	si, err := os.Stat(src)
	if err != nil {
		return false, err
	}
	if os.SameFile(si, di) {
		return true, nil
	}
	if !di.Mode().IsRegular() || di.Size() != si.Size() || di.Mode().Perm() != si.Mode().Perm() {
		return false, nil
	}
	return equalFiles(src, dst)
}

// equalFiles compares two files chunk by chunk.
func equalFiles(a, b string) (bool, error) {
	fa, err := os.Open(a)
	if err != nil {
		return false, err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return false, err
	}
	defer fb.Close()
	ba, bb := make([]byte, 64<<10), make([]byte, 64<<10)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, eb := io.ReadFull(fb, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return false, nil
		}
		if ea == io.EOF || ea == io.ErrUnexpectedEOF {
			return eb == ea, nil
		}
		if ea != nil {
			return false, ea
		}
		if eb != nil {
			return false, eb
		}
	}
}

// copyFile copies src to a new file dst with src's mode, fsynced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Chmod(fi.Mode().Perm()); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
