package fetch

import (
	"context"
	"errors"
	"io/fs"
	"os"
)

// run puts one file in place: keep a verified present file, else take it
// from a mirror dir, else from each URL in order. It returns nil on success
// (and on cancellation, which runAll reports once for all jobs).
func (r *runner) run(ctx context.Context, j *job) *SourceError {
	if ctx.Err() != nil {
		return nil
	}
	sweepStale(j.path)
	present, bad, err := checkExisting(ctx, j.path, j.sha)
	if err != nil {
		return r.fail(ctx, j, nil, err)
	}
	if present {
		r.opts.Reporter.Report(j.event(KindSkipped))
		return nil
	}
	var attempts []Attempt
	if bad != nil {
		attempts = append(attempts, Attempt{Source: j.path, Err: bad})
	}
	for _, src := range mirrorCandidates(r.opts.MirrorDirs, j.items[0]) {
		a, ok := r.tryLocal(ctx, j, src, src)
		if ok {
			return nil
		}
		if a != nil {
			attempts = append(attempts, *a)
		}
	}
	for _, u := range j.urls {
		a, ok := r.tryURL(ctx, j, u)
		if ok {
			return nil
		}
		if a != nil {
			attempts = append(attempts, *a)
		}
	}
	return r.fail(ctx, j, attempts, nil)
}

// tryURL tries one mirror URL; http(s) only when online. It returns the
// failed attempt (nil when the URL was not tried) or ok.
func (r *runner) tryURL(ctx context.Context, j *job, raw string) (*Attempt, bool) {
	if ctx.Err() != nil {
		return nil, false
	}
	u, _ := ParseURL(raw) // validated by plan
	if u.Scheme == "file" {
		a, ok := r.tryLocal(ctx, j, raw, u.Path)
		if a != nil && errors.Is(a.Err, fs.ErrNotExist) {
			a.Err = errors.New("no such file")
		}
		return a, ok
	}
	if r.opts.Offline {
		return nil, false
	}
	final, tries, err := r.getWithRetries(ctx, j, raw)
	if err == nil {
		r.done(j, raw, 0)
		return nil, true
	}
	if final == raw {
		final = ""
	}
	a := &Attempt{Source: raw, Final: final, Tries: tries, Err: err}
	r.retry(ctx, j, a)
	return a, false
}

// tryLocal tries a local file; a missing mirror-dir file is no attempt.
func (r *runner) tryLocal(ctx context.Context, j *job, name, path string) (*Attempt, bool) {
	if ctx.Err() != nil {
		return nil, false
	}
	n, err := placeLocal(ctx, path, j.path, j.sha)
	if err == nil {
		r.done(j, name, n)
		return nil, true
	}
	if errors.Is(err, fs.ErrNotExist) && name == path {
		return nil, false
	}
	a := &Attempt{Source: name, Err: err}
	r.retry(ctx, j, a)
	return a, false
}

// done reports success; n is the size, or 0 to look it up.
func (r *runner) done(j *job, src string, n int64) {
	if fi, err := os.Stat(j.path); n == 0 && err == nil {
		n = fi.Size()
	}
	ev := j.event(KindDone)
	ev.URL, ev.Bytes = src, n
	r.opts.Reporter.Report(ev)
}

// retry reports a failed attempt unless the whole fetch is being cancelled.
func (r *runner) retry(ctx context.Context, j *job, a *Attempt) {
	if ctx.Err() != nil {
		return
	}
	ev := j.event(KindAttemptFailed)
	ev.URL, ev.Err = a.Source, a.Err
	r.opts.Reporter.Report(ev)
}

// fail builds the job's error and reports it.
func (r *runner) fail(ctx context.Context, j *job, attempts []Attempt, err error) *SourceError {
	if ctx.Err() != nil {
		return nil
	}
	first := j.items[0]
	se := &SourceError{Package: first.Package, Key: first.Key, File: first.File, Path: j.path, URLs: j.urls, Attempts: attempts, Err: err}
	for _, it := range j.items[1:] {
		se.Also = append(se.Also, it.label())
	}
	ev := j.event(KindFailed)
	ev.Err = se
	r.opts.Reporter.Report(ev)
	return se
}
