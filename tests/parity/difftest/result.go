package difftest

import "time"

// Kind classifies the outcome of one target.
type Kind string

const (
	Same           Kind = "same"             // equal manifest digests
	DigestDiffers  Kind = "digest-differs"   // both built, digests differ
	OnlyBuildKit   Kind = "stevedore-failed" // BuildKit built it, stevedore failed
	OnlyStevedore  Kind = "buildkit-failed"  // stevedore built it, BuildKit failed
	BothFailed     Kind = "both-failed"      // a wasted target
	DepFailed      Kind = "dep-failed"       // not built: a dependency failed
	ReproDiffers   Kind = "repro-differs"    // stevedore's twin build differs
	RootlessDiffer Kind = "rootless-differs" // stevedore's rootless build differs
	// SuidCleared is the documented rootless difference: in a user
	// namespace the kernel clears setuid/setgid when a RUN writes to or
	// truncates such a file (only CAP_FSETID in the initial namespace
	// keeps them), so the rootless image differs only in those bits.
	SuidCleared Kind = "rootless-suid-cleared"
)

// Bug reports whether k is a difference to report.
func (k Kind) Bug() bool {
	switch k {
	case DigestDiffers, OnlyBuildKit, OnlyStevedore, ReproDiffers, RootlessDiffer:
		return true
	}
	return false
}

// TargetResult is the outcome of one target.
type TargetResult struct {
	Target string
	Kind   Kind
	// BuildKit and Stevedore are the manifest digests ("" when failed).
	BuildKit, Stevedore string
	// Detail is the failing build's error or stevedore diff's output.
	Detail string
}

// Result is the outcome of one tree.
type Result struct {
	Targets []TargetResult
	// Invalid is set when the tree could not be fetched or planned: a
	// generator or harness bug, not a builder difference.
	Invalid error
	// Instrs counts the tree's instructions (for the campaign's totals).
	Instrs int
	// Times is where the time went: "total", "buildkit" (the reference
	// builds), "twin" and "rootless" (stevedore's extra builds).
	Times map[string]time.Duration
}

// timed adds the time since start to res.Times[what].
func (r *Result) timed(what string, start time.Time) {
	if r.Times == nil {
		r.Times = map[string]time.Duration{}
	}
	r.Times[what] += time.Since(start).Round(time.Millisecond)
}

// First returns the first target with a difference, or nil.
func (r *Result) First() *TargetResult {
	for i := range r.Targets {
		if r.Targets[i].Kind.Bug() {
			return &r.Targets[i]
		}
	}
	return nil
}
