package signature

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// maxSignatureFile bounds the size of a signature file read.
const maxSignatureFile = 1 << 20

// Dir returns signatures/<registry>/<target>@sha256=<hex> under root (the
// signatures folder). digest is "sha256:<hex>".
func Dir(root, registry, target, digest string) string {
	return filepath.Join(root, filepath.FromSlash(registry), target+"@"+strings.Replace(digest, ":", "=", 1))
}

// File is one entry of a signature folder.
type File struct {
	Name string // base name
	Path string
	N    int // the number in signature-<N>; 0 when the name is not one
}

// List returns the entries of a signature folder: signature-<N> files sorted
// by N, then other names. A missing folder is empty.
func List(dir string) ([]File, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list signatures %s: %w", dir, err)
	}
	var out []File
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue // temp files of a concurrent writer
		}
		out = append(out, File{Name: e.Name(), Path: filepath.Join(dir, e.Name()), N: signatureNumber(e.Name())})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if (a.N == 0) != (b.N == 0) {
			return a.N != 0
		}
		if a.N != b.N {
			return a.N < b.N
		}
		return a.Name < b.Name
	})
	return out, nil
}

// signatureNumber returns N for "signature-N" (N >= 1, no leading zero).
func signatureNumber(name string) int {
	s, ok := strings.CutPrefix(name, "signature-")
	if !ok || s == "" || s[0] == '0' {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// Gaps returns the numbers missing before the highest signature-<N>: the
// signatures after a gap are invisible to Podman and Skopeo.
func Gaps(files []File) []int {
	have := map[int]bool{}
	max := 0
	for _, f := range files {
		if f.N > 0 {
			have[f.N] = true
			max = f.N
		}
	}
	var gaps []int
	for n := 1; n < max; n++ {
		if !have[n] {
			gaps = append(gaps, n)
		}
	}
	return gaps
}

// WriteNext stores data as the lowest free signature-<N> of dir and returns
// its path. The file is written to a temp name, fsynced and hard-linked into
// place, so a concurrent writer never overwrites it.
func WriteNext(dir string, data []byte) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	tmp, err := writeTemp(dir, data)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	for n := 1; n <= 1<<16; n++ {
		path := filepath.Join(dir, "signature-"+strconv.Itoa(n))
		err := os.Link(tmp, path)
		if err == nil {
			return path, atomicfile.SyncDir(dir)
		}
		if !errors.Is(err, os.ErrExist) {
			return "", fmt.Errorf("link %s: %w", path, err)
		}
	}
	return "", fmt.Errorf("write signature in %s: no free signature-<N>", dir)
}

func writeTemp(dir string, data []byte) (string, error) {
	f, err := os.CreateTemp(dir, ".signature-*.tmp")
	if err != nil {
		return "", fmt.Errorf("create temp file in %s: %w", dir, err)
	}
	_, werr := f.Write(data)
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return "", err // *fs.PathErrors, each naming the temp file
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("chmod %s: %w", f.Name(), err)
	}
	return f.Name(), nil
}
