package export

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// writeDirAtomic fills a temp directory next to dir (flocked while it is
// filled; the temp dirs of killed writers are swept first), fsyncs every
// file in it and renames it to dir. An existing dir is replaced only when it is an
// OCI layout (has an oci-layout file) or empty, so that a mistyped -o never
// deletes unrelated files.
func writeDirAtomic(dir string, fill func(tmp string) error) (err error) {
	if err := checkReplaceable(dir); err != nil {
		return err
	}
	atomicfile.Sweep(dir)
	tmp, unlock, err := atomicfile.TempDir(dir)
	if err != nil {
		return err
	}
	defer unlock()
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := fill(tmp); err != nil {
		return err
	}
	if err := syncTree(tmp); err != nil {
		return err
	}
	return replaceDir(tmp, dir)
}

func checkReplaceable(dir string) error {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("%s exists and is not an OCI layout; remove it or choose another -o", dir)
	}
	return nil
}

// replaceDir moves tmp to dir, moving an existing dir aside first and
// removing it after.
func replaceDir(tmp, dir string) error {
	var old string
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return atomicfile.SyncDir(filepath.Dir(dir))
}

// syncTree fsyncs every file and directory under root.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
