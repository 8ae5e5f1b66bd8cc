package digests

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Status is the outcome of comparing one target with its record.
type Status string

// Statuses of a Check; only StatusOK passes.
const (
	StatusOK          Status = "ok"
	StatusMismatch    Status = "mismatch"
	StatusNotRecorded Status = "not recorded"
	StatusNotBuilt    Status = "not built"
	StatusUnreadable  Status = "unreadable"
)

// Check compares one built target with digests/<stage>.txt.
type Check struct {
	Target   string
	Recorded v1.Hash // zero when not recorded
	Actual   v1.Hash // zero when not built or unreadable
	Status   Status
	Err      error // why the output could not be read (StatusUnreadable)
}

// OK reports whether the target matches its record.
func (c Check) OK() bool { return c.Status == StatusOK }

// Report is the result of Verify, one Check per target, sorted by name.
type Report struct {
	Checks []Check
}

// OK reports whether every target matches its record.
func (r Report) OK() bool {
	for _, c := range r.Checks {
		if !c.OK() {
			return false
		}
	}
	return true
}

// Failures returns the checks that did not pass.
func (r Report) Failures() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK() {
			out = append(out, c)
		}
	}
	return out
}

// Write prints one line per target and a summary.
func (r Report) Write(w io.Writer) {
	for _, c := range r.Checks {
		switch c.Status {
		case StatusOK:
			fmt.Fprintf(w, "ok       %s %s\n", c.Target, c.Actual.Hex)
		case StatusMismatch:
			fmt.Fprintf(w, "MISMATCH %s recorded %s, out/ has %s\n", c.Target, c.Recorded.Hex, c.Actual.Hex)
		case StatusNotRecorded:
			fmt.Fprintf(w, "MISSING  %s not recorded in digests/ (out/ has %s); run stevedore digests %s\n", c.Target, c.Actual.Hex, c.Target)
		case StatusNotBuilt:
			if c.Recorded.Hex == "" {
				fmt.Fprintf(w, "MISSING  %s not built and not recorded\n", c.Target)
			} else {
				fmt.Fprintf(w, "MISSING  %s not built (recorded %s); build it first\n", c.Target, c.Recorded.Hex)
			}
		default:
			fmt.Fprintf(w, "ERROR    %s %v\n", c.Target, c.Err)
		}
	}
	fmt.Fprintf(w, "%d of %d target(s) match digests/", len(r.Checks)-len(r.Failures()), len(r.Checks))
	count := map[Status]int{}
	for _, c := range r.Failures() {
		count[c.Status]++
	}
	var parts []string
	for _, st := range []Status{StatusMismatch, StatusNotRecorded, StatusNotBuilt, StatusUnreadable} {
		if count[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", count[st], st))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
}

// Verify compares the image manifest digests in out/ with digests/<stage>.txt
// for targets; when empty, for every target recorded in digests/ or built
// in out/, so that a recorded target not built is reported, not skipped.
// Problems with single targets are reported in the Report; the error is
// for unreadable records or names.
func Verify(tree string, targets []string) (Report, error) {
	if len(targets) == 0 {
		recorded, err := RecordedTargets(tree)
		if err != nil {
			return Report{}, err
		}
		built, err := BuiltTargets(tree)
		if err != nil {
			return Report{}, err
		}
		targets = append(recorded, built...)
		sort.Strings(targets)
		targets = slices.Compact(targets)
	}
	targets, err := resolveTargets(tree, targets)
	if err != nil {
		return Report{}, err
	}
	records := map[string]map[string]v1.Hash{}
	var rep Report
	for _, t := range targets {
		stage, _ := StageOf(t)
		if records[stage] == nil {
			recs, err := ReadStage(tree, stage)
			if err != nil {
				return Report{}, err
			}
			records[stage] = map[string]v1.Hash{}
			for _, r := range recs {
				records[stage][r.Target] = r.Digest
			}
		}
		rep.Checks = append(rep.Checks, check(tree, t, records[stage]))
	}
	return rep, nil
}

func check(tree, target string, recs map[string]v1.Hash) Check {
	c := Check{Target: target}
	rec, recorded := recs[target]
	c.Recorded = rec
	img, err := ReadImage(OutDir(tree, target))
	switch {
	case err != nil && !isBuilt(tree, target):
		c.Status = StatusNotBuilt
	case err != nil:
		c.Status, c.Err = StatusUnreadable, err
	case !recorded:
		c.Actual, c.Status = img.Digest, StatusNotRecorded
	case img.Digest != rec:
		c.Actual, c.Status = img.Digest, StatusMismatch
	default:
		c.Actual, c.Status = img.Digest, StatusOK
	}
	return c
}
