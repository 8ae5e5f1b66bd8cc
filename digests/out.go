package digests

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// OutDir returns the out/<target> folder of tree.
func OutDir(tree, target string) string {
	return filepath.Join(tree, "out", target)
}

// BuiltTargets lists the targets that have an out/<target>/index.json in
// tree, sorted by name. A missing out/ folder is an empty list.
func BuiltTargets(tree string) ([]string, error) {
	dir := filepath.Join(tree, "out")
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if _, err := StageOf(e.Name()); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "index.json")); err == nil {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// RecordedTargets lists the targets recorded in every digests/<stage>.txt
// of tree, sorted by name. A missing digests/ folder is an empty list.
func RecordedTargets(tree string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(tree, "digests", "*.txt"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		recs, err := ReadStage(tree, strings.TrimSuffix(filepath.Base(f), ".txt"))
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			out = append(out, r.Target)
		}
	}
	sort.Strings(out)
	return out, nil
}

// resolveTargets returns targets, or every built target when it is empty,
// after checking every name.
func resolveTargets(tree string, targets []string) ([]string, error) {
	if len(targets) == 0 {
		return BuiltTargets(tree)
	}
	for _, t := range targets {
		if _, err := StageOf(t); err != nil {
			return nil, err
		}
	}
	return targets, nil
}

// RecordTargets reads the manifest digests of targets from out/ (all built targets
// when targets is empty) and writes them to digests/<stage>.txt, keeping the
// lines of targets not named. It returns the records written.
func RecordTargets(tree string, targets []string) ([]Record, error) {
	targets, err := resolveTargets(tree, targets)
	if err != nil {
		return nil, err
	}
	byStage := map[string][]Record{}
	var written []Record
	for _, t := range targets {
		img, err := ReadImage(OutDir(tree, t))
		if err != nil {
			return nil, fmt.Errorf("record %s: %w", t, err)
		}
		stage, _ := StageOf(t)
		rec := Record{Target: t, Digest: img.Digest}
		byStage[stage] = append(byStage[stage], rec)
		written = append(written, rec)
	}
	stages := make([]string, 0, len(byStage))
	for s := range byStage {
		stages = append(stages, s)
	}
	sort.Strings(stages)
	for _, s := range stages {
		if err := mergeStage(tree, s, byStage[s]); err != nil {
			return nil, err
		}
	}
	return written, nil
}

// mergeStage replaces or adds recs in digests/<stage>.txt.
func mergeStage(tree, stage string, recs []Record) error {
	old, err := ReadStage(tree, stage)
	if err != nil {
		return err
	}
	merged := map[string]Record{}
	for _, r := range old {
		merged[r.Target] = r
	}
	for _, r := range recs {
		merged[r.Target] = r
	}
	all := make([]Record, 0, len(merged))
	for _, r := range merged {
		all = append(all, r)
	}
	return WriteStage(tree, stage, all)
}

// isBuilt reports whether out/<target>/index.json exists.
func isBuilt(tree, target string) bool {
	_, err := os.Stat(filepath.Join(OutDir(tree, target), "index.json"))
	return err == nil
}
