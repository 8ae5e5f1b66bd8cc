package digests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// Record is one line of digests/<stage>.txt.
type Record struct {
	// Target is "<stage>-<name>".
	Target string
	// Digest is the image manifest digest (always sha256).
	Digest v1.Hash
}

var (
	targetRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._]*-[A-Za-z0-9][A-Za-z0-9._+-]*$`)
	lineRE   = regexp.MustCompile(`^([0-9a-f]{64}) (\S+)$`)
)

// StageOf returns the stage of a target: the part before the first "-"
// ("user-foo-bar" is in stage "user").
func StageOf(target string) (string, error) {
	if !targetRE.MatchString(target) {
		return "", fmt.Errorf("target %q: want <stage>-<name>, e.g. core-gcc", target)
	}
	return target[:strings.Index(target, "-")], nil
}

// StagePath returns the path of digests/<stage>.txt in tree.
func StagePath(tree, stage string) string {
	return filepath.Join(tree, "digests", stage+".txt")
}

// ParseRecords parses the content of a digests/<stage>.txt file. name is
// used in error messages.
func ParseRecords(r io.Reader, name string) ([]Record, error) {
	var out []Record
	seen := map[string]bool{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := lineRE.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("parse %s:%d: want \"<64-hex digest> <stage>-<name>\", got %q", name, n, line)
		}
		if _, err := StageOf(m[2]); err != nil {
			return nil, fmt.Errorf("parse %s:%d: %w", name, n, err)
		}
		if seen[m[2]] {
			return nil, fmt.Errorf("parse %s:%d: %s recorded twice; keep one line", name, n, m[2])
		}
		seen[m[2]] = true
		out = append(out, Record{Target: m[2], Digest: v1.Hash{Algorithm: "sha256", Hex: m[1]}})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	return out, nil
}

// FormatRecords renders records as digests/<stage>.txt content, sorted by
// target name.
func FormatRecords(recs []Record) []byte {
	sorted := append([]Record(nil), recs...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Target < sorted[j].Target })
	var b bytes.Buffer
	for _, r := range sorted {
		fmt.Fprintf(&b, "%s %s\n", r.Digest.Hex, r.Target)
	}
	return b.Bytes()
}

// ReadStage reads digests/<stage>.txt of tree; a missing file is empty.
func ReadStage(tree, stage string) ([]Record, error) {
	path := StagePath(tree, stage)
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	return ParseRecords(f, path)
}

// WriteStage replaces digests/<stage>.txt atomically (temp file, fsync,
// rename) with recs sorted by name.
func WriteStage(tree, stage string, recs []Record) error {
	for _, r := range recs {
		if s, err := StageOf(r.Target); err != nil || s != stage {
			return fmt.Errorf("write %s: target %q is not in stage %s", StagePath(tree, stage), r.Target, stage)
		}
	}
	return atomicfile.WriteFile(StagePath(tree, stage), FormatRecords(recs), 0o644)
}
