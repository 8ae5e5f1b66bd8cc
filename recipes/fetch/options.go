package fetch

import (
	"net/http"
	"time"
)

// Defaults used when the corresponding Options field is zero. Retries and
// Backoff have none: zero there means "no retry" and "no wait", which tests
// and air-gapped hosts want; the CLI chooses its own values.
const (
	// DefaultParallel bounds concurrent downloads: enough to hide latency,
	// few enough not to be throttled by upstream mirrors.
	DefaultParallel = 4
	// DefaultStallTimeout is how long a download may go without receiving a
	// byte before that mirror is given up.
	DefaultStallTimeout = 30 * time.Second
	// DefaultMaxBytes bounds one downloaded file: far above any source
	// tarball, low enough that an endless body stops long before it fills
	// a disk (the hash is only known to be wrong at the end).
	DefaultMaxBytes int64 = 8 << 30
)

// Options says where files may come from and how hard to try. The zero value
// fetches online, 4 at a time, without retries and without reporting.
type Options struct {
	// Offline forbids any network access: files must be present already, in
	// a mirror dir or behind a file:// URL. Fetch then fails with one
	// *MissingError naming every file it could not put in place.
	Offline bool
	// MirrorDirs are local folders searched before any URL, for air-gapped
	// hosts. In each dir Fetch looks for <dir>/<stage>/<origin>/<file> (a
	// copy of a fetch/ tree; <stage>/<origin> being the last two elements of
	// Item.Dest), then <dir>/<file> (a flat folder). A file found there is
	// hash-verified like a download; a corrupt copy is refused.
	MirrorDirs []string
	// Parallel bounds the number of items processed at once (0: DefaultParallel).
	Parallel int
	// Retries is how many times a transient failure (5xx, 429, stall,
	// connection reset, truncated body) is retried on the same URL before the
	// next URL is tried. 404s, other 4xx, refused connections and hash
	// mismatches are never retried.
	Retries int
	// Backoff is the wait before the first retry; it doubles each retry.
	Backoff time.Duration
	// StallTimeout fails a request that receives no byte (headers or body)
	// for that long (0: DefaultStallTimeout). The overall deadline is the
	// caller's context.
	StallTimeout time.Duration
	// MaxBytes bounds the size of one downloaded file (0: DefaultMaxBytes):
	// a larger Content-Length fails before the body is read, a body that
	// grows past it fails as soon as it does. Neither is retried.
	MaxBytes int64
	// Client makes the requests (nil: a client with http.DefaultTransport,
	// which follows up to 10 redirects).
	Client *http.Client
	// Reporter receives progress events (nil: silent). Fetch never calls it
	// concurrently.
	Reporter Reporter
}

// withDefaults fills the zero fields that have a default.
func (o Options) withDefaults() Options {
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Reporter == nil {
		o.Reporter = nopReporter{}
	}
	o.Reporter = &syncReporter{r: o.Reporter}
	return o
}
