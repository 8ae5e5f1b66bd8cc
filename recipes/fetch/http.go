package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"
)

// progressEvery throttles progress events so that a log stays readable.
const progressEvery = 250 * time.Millisecond

// getWithRetries downloads rawURL into final, retrying transient failures
// with exponential backoff. It returns the final URL (after redirects) and
// the number of requests made.
func (r *runner) getWithRetries(ctx context.Context, j *job, rawURL string) (string, int, error) {
	wait := r.opts.Backoff
	for try := 1; ; try++ {
		final, err := r.get(ctx, j, rawURL)
		if err == nil || ctx.Err() != nil || !transient(err) || try > r.opts.Retries {
			return final, try, err
		}
		ev := j.event(KindAttemptFailed)
		ev.URL, ev.Err = rawURL, err
		r.opts.Reporter.Report(ev)
		select {
		case <-ctx.Done():
			return final, try, ctx.Err()
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// get makes one request. A stall timer cancels it when no byte (headers
// or body) arrives for StallTimeout; each received chunk re-arms it.
func (r *runner) get(ctx context.Context, j *job, rawURL string) (final string, err error) {
	reqCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := r.opts.StallTimeout
	timer := time.AfterFunc(stall, func() {
		cancel(fmt.Errorf("%w: no data for %v", errStalled, stall))
	})
	defer timer.Stop()
	defer func() { err = describe(reqCtx, err) }()

	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, rawURL, nil)
	if err != nil {
		return "", err
	}
	// Ask for the bytes as stored: otherwise Go's transport requests gzip
	// and silently decompresses, and a server that gzips a .tar.gz on the
	// fly would turn into a hash mismatch (curl and wget do not decompress).
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := r.opts.Client.Do(req)
	if err != nil {
		return redirected(err), err
	}
	defer resp.Body.Close()
	final = resp.Request.URL.String()
	if resp.StatusCode != http.StatusOK {
		return final, &statusError{code: resp.StatusCode, status: resp.Status}
	}
	return final, r.receive(j, rawURL, resp, func() { timer.Reset(stall) })
}

// receive streams the body into a temp file next to the job's path.
func (r *runner) receive(j *job, rawURL string, resp *http.Response, alive func()) error {
	limit := r.opts.MaxBytes
	if resp.ContentLength > limit {
		return &tooLargeError{limit: limit, length: resp.ContentLength}
	}
	tmp, err := createTemp(j.path)
	if err != nil {
		return err
	}
	defer tmp.abort()
	ev := j.event(KindStart)
	ev.URL, ev.Total = rawURL, resp.ContentLength
	r.opts.Reporter.Report(ev)
	pr := &progressReader{r: io.LimitReader(resp.Body, limit+1), alive: alive, report: func(n int64) {
		ev.Kind, ev.Bytes = KindProgress, n
		r.opts.Reporter.Report(ev)
	}}
	n, err := io.Copy(tmp, pr)
	if n > limit {
		return &tooLargeError{limit: limit, length: -1}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) && resp.ContentLength > n {
		return &truncatedError{got: n, want: resp.ContentLength}
	}
	if err != nil {
		return err
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return &truncatedError{got: n, want: resp.ContentLength}
	}
	return tmp.commit(j.sha)
}

// progressReader re-arms the stall timer on every chunk and reports
// progress at most every progressEvery.
type progressReader struct {
	r      io.Reader
	n      int64
	last   time.Time
	alive  func()
	report func(int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.alive()
		p.n += int64(n)
		if now := time.Now(); now.Sub(p.last) >= progressEvery {
			p.last = now
			p.report(p.n)
		}
	}
	return n, err
}

// describe replaces the transport's wording with the reason that matters:
// the stall timeout or the caller's cancellation, a refused connection, or
// the inner error of a *url.Error (which would repeat the URL).
func describe(reqCtx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if reqCtx.Err() != nil {
		return context.Cause(reqCtx)
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		return errors.New("connection refused")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redirected returns the URL a failed request ended at, if it is known.
func redirected(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.URL
	}
	return ""
}

// transient says whether retrying the same URL may help.
func transient(err error) bool {
	var se *statusError
	var te *truncatedError
	var ne net.Error
	switch {
	case errors.As(err, &se):
		return se.code >= 500 || se.code == http.StatusTooManyRequests || se.code == http.StatusRequestTimeout
	case errors.As(err, &te), errors.Is(err, errStalled):
		return true
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}
