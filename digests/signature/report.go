package signature

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// FileVerdict is the verdict on one file of a signature folder.
type FileVerdict struct {
	File
	Result
}

// TargetReport is the quorum check of one target.
type TargetReport struct {
	Subject
	Quorum int
	Files  []FileVerdict
	Gaps   []int
	// Err is set when the target itself could not be read.
	Err error
}

// Valid returns the number of distinct primary keys with a counting
// signature.
func (r TargetReport) Valid() int {
	n := 0
	for _, f := range r.Files {
		if f.OK() {
			n++
		}
	}
	return n
}

// OK reports whether the target reaches its quorum.
func (r TargetReport) OK() bool { return r.Err == nil && r.Valid() >= r.Quorum }

// VerifyImage checks every file of img's signature folder and counts
// distinct primary keys against quorum.
func VerifyImage(img Subject, kr *Keyring, quorum int, now time.Time) TargetReport {
	rep := TargetReport{Subject: img, Quorum: quorum}
	files, err := List(img.Dir)
	if err != nil {
		rep.Err = err
		return rep
	}
	rep.Gaps = Gaps(files)
	want := Expect{Digest: img.Digest, Reference: img.Reference}
	counted := map[string]string{} // primary fingerprint -> file name
	for _, f := range files {
		v := FileVerdict{File: f, Result: verifyFile(f, kr, want, now)}
		if v.OK() {
			if first, dup := counted[v.Primary]; dup {
				v.Reason, v.Detail = ReasonDuplicate, "counted in "+first
			} else {
				counted[v.Primary] = f.Name
			}
		}
		rep.Files = append(rep.Files, v)
	}
	return rep
}

func verifyFile(f File, kr *Keyring, want Expect, now time.Time) Result {
	if f.N == 0 {
		return Result{Reason: ReasonBadName}
	}
	st, err := os.Stat(f.Path)
	if err != nil || !st.Mode().IsRegular() || st.Size() > maxSignatureFile {
		return Result{Reason: ReasonUnreadable, Detail: "not a regular file under 1 MiB"}
	}
	data, err := os.ReadFile(f.Path)
	if err != nil {
		return Result{Reason: ReasonUnreadable, Detail: err.Error()}
	}
	return Verify(data, kr, want, now)
}

// Write prints the report: one line per file with signer and verdict.
func (r TargetReport) Write(w io.Writer) {
	if r.Err != nil {
		fmt.Fprintf(w, "FAIL %s: %v\n", r.Target, r.Err)
		return
	}
	verdict := "OK"
	if !r.OK() {
		verdict = "FAIL"
	}
	fmt.Fprintf(w, "%s %s %s (%s): %d distinct valid signer(s), quorum %d\n", verdict, r.Target, r.Digest, r.Reference, r.Valid(), r.Quorum)
	if len(r.Files) == 0 {
		fmt.Fprintf(w, "  no signatures in %s\n", r.Dir)
	}
	for _, f := range r.Files {
		signer := f.Signer
		if signer == "" {
			signer = "-"
		}
		if f.OK() {
			fmt.Fprintf(w, "  %-14s %s counts\n", f.Name, strings.ToUpper(signer))
			continue
		}
		msg := string(f.Reason)
		if f.Detail != "" {
			msg += ": " + f.Detail
		}
		fmt.Fprintf(w, "  %-14s %s rejected: %s\n", f.Name, strings.ToUpper(signer), msg)
	}
	for _, f := range r.Files {
		if f.N > 0 && (f.Reason == ReasonNotOpenPGP || f.Reason == ReasonArmored || f.Reason == ReasonClearsigned) {
			fmt.Fprintf(w, "  warning: %s is not a binary OpenPGP message; Podman and Skopeo reject the whole image because of it\n", f.Name)
		}
	}
	for _, g := range r.Gaps {
		fmt.Fprintf(w, "  warning: signature-%d is missing; Podman and Skopeo stop reading at the gap\n", g)
	}
}

// VerifyTargets checks each target of tree (signature folders under sigRoot)
// and reports whether all reach quorum.
func VerifyTargets(tree, sigRoot, registry string, targets []string, kr *Keyring, quorum int, now time.Time) ([]TargetReport, bool) {
	ok := true
	var reps []TargetReport
	for _, t := range targets {
		img, err := ReadTarget(tree, sigRoot, registry, t)
		var rep TargetReport
		if err != nil {
			rep = TargetReport{Subject: Subject{Target: t}, Quorum: quorum, Err: err}
		} else {
			rep = VerifyImage(img, kr, quorum, now)
		}
		ok = ok && rep.OK()
		reps = append(reps, rep)
	}
	return reps, ok
}
