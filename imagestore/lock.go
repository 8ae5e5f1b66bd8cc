package imagestore

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// lockHeader opens every lock file; it tells a reader what the file is.
const lockHeader = "# stevedore.lock: image references pinned by digest (reference digest source).\n" +
	"# Written by stevedore build; a pin changes only with --update-lock.\n"

// Pin is one line of the lock file.
type Pin struct {
	// Digest is what the reference names: an image index or a manifest.
	Digest v1.Hash
	// Source is where the reference was first resolved ("registry",
	// "oci:DIR", "oci-archive:FILE", "docker-archive:FILE"); informational.
	Source string
}

// Lock is the content of a lock file: reference (as written in the
// Containerfile, after ARG expansion) -> pin.
type Lock map[string]Pin

// ReadLock reads the lock file at path; a missing file is an empty lock.
func ReadLock(path string) (Lock, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Lock{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read lock file: %w", err)
	}
	return ParseLock(path, raw)
}

// ParseLock parses lock file content; name is used in errors.
func ParseLock(name string, raw []byte) (Lock, error) {
	l := Lock{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 {
			return nil, fmt.Errorf("%s:%d: want \"reference digest source\", got %q (fix or delete the line)", name, n, line)
		}
		h, err := v1.NewHash(f[1])
		if err != nil || h.Algorithm != "sha256" || len(h.Hex) != 64 {
			return nil, fmt.Errorf("%s:%d: %q is not a sha256 digest (fix or delete the line)", name, n, f[1])
		}
		if _, dup := l[f[0]]; dup {
			return nil, fmt.Errorf("%s:%d: %s is pinned twice (delete one line)", name, n, f[0])
		}
		l[f[0]] = Pin{Digest: h, Source: f[2]}
	}
	return l, sc.Err()
}

// Bytes formats the lock: the header, then one line per reference, sorted.
func (l Lock) Bytes() []byte {
	refs := make([]string, 0, len(l))
	for r := range l {
		refs = append(refs, r)
	}
	sort.Strings(refs)
	var b bytes.Buffer
	b.WriteString(lockHeader)
	for _, r := range refs {
		fmt.Fprintf(&b, "%s %s %s\n", r, l[r].Digest, l[r].Source)
	}
	return b.Bytes()
}

// WriteLock replaces the lock file at path atomically: a temp file in the
// same directory, fsynced, renamed, and the directory fsynced so that the
// rename survives a crash.
func WriteLock(path string, l Lock) error {
	if err := atomicfile.Write(path, func(w io.Writer) error {
		_, err := w.Write(l.Bytes())
		return err
	}); err != nil {
		return fmt.Errorf("write lock file %s: %w", path, err)
	}
	return nil
}
