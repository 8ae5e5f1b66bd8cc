package assemble

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// FetchStepPinsFile is the file, next to the recipes, that pins the layer
// of every fetch step by digest (see Builder.FetchStepPins). Commit it: an
// offline build reuses a recorded fetch-step layer only when this file,
// not the record or the bundle that carried it, vouches for its digest.
const FetchStepPinsFile = "stevedore.fetch-steps"

const fetchPinsHeader = "# stevedore.fetch-steps: the layer of each RUN that had the network, by cache key (key layer-digest diff-id).\n" +
	"# Written by stevedore build --network-for-fetch-steps; an offline build reuses only layers pinned here.\n"

// fetchPin is one line of the pins file.
type fetchPin struct{ Digest, DiffID string }

// readFetchPins reads path; a missing file has no pins.
func readFetchPins(path string) (map[string]fetchPin, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]fetchPin{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	pins := map[string]fetchPin{}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 || !hex64(f[0]) || !strings.HasPrefix(f[1], "sha256:") || !strings.HasPrefix(f[2], "sha256:") {
			return nil, fmt.Errorf("%s:%d: want \"key sha256:<layer> sha256:<diff id>\", got %q (fix or delete the line)", path, n, line)
		}
		if _, dup := pins[f[0]]; dup {
			return nil, fmt.Errorf("%s:%d: key %s is pinned twice (delete one line)", path, n, f[0])
		}
		pins[f[0]] = fetchPin{Digest: f[1], DiffID: f[2]}
	}
	return pins, sc.Err()
}

func hex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// pinFetchStep records key's layer in the pins file, under an flock of its
// folder (another build may pin at the same time), atomically and durably.
// A key pinned to another layer is an error: the step's download changed.
func pinFetchStep(path, key string, p fetchPin) error {
	dir := filepath.Dir(path)
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("pin fetch step in %s: %w", path, err)
	}
	defer d.Close()
	if err := unix.Flock(int(d.Fd()), unix.LOCK_EX); err != nil {
		return fmt.Errorf("pin fetch step: lock %s: %w", dir, err)
	}
	defer unix.Flock(int(d.Fd()), unix.LOCK_UN)
	pins, err := readFetchPins(path)
	if err != nil {
		return err
	}
	if old, ok := pins[key]; ok {
		if old == p {
			return nil
		}
		return fmt.Errorf("this fetch step made layer %s, but %s pins %s for it: what it downloads changed; if that is expected, delete the line %s and build again", p.Digest, path, old.Digest, key)
	}
	pins[key] = p
	keys := make([]string, 0, len(pins))
	for k := range pins {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return atomicfile.Write(path, func(w io.Writer) error {
		io.WriteString(w, fetchPinsHeader)
		for _, k := range keys {
			if _, err := fmt.Fprintf(w, "%s %s %s\n", k, pins[k].Digest, pins[k].DiffID); err != nil {
				return err
			}
		}
		return nil
	})
}
