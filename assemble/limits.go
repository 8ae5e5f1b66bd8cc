package assemble

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// cappedWriter passes the first limit bytes through, then one line saying
// the rest was dropped, then nothing (but reports every write as done, so
// the process's output keeps draining).
type cappedWriter struct {
	mu          sync.Mutex
	w           io.Writer
	left, limit int64
	clipped     bool
}

func (c *cappedWriter) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(b)
	if c.left > 0 {
		k := min(int64(len(b)), c.left)
		if _, err := c.w.Write(b[:k]); err != nil {
			return 0, err
		}
		c.left -= k
		b = b[k:]
	}
	if len(b) > 0 && !c.clipped {
		c.clipped = true
		fmt.Fprintf(c.w, "\n[output clipped: this RUN wrote more than %d bytes of output; stevedore build --run-log-limit raises the limit]\n", c.limit)
	}
	return n, nil
}

// errLowDisk is the cause of a RUN stopped by watchFreeSpace.
var errLowDisk = errors.New("low disk space")

// freeSpaceEvery is how often watchFreeSpace looks.
var freeSpaceEvery = 500 * time.Millisecond

// watchFreeSpace returns a context that is cancelled, with a cause wrapping
// errLowDisk, when the filesystem holding dir has less than min bytes
// available (min <= 0: never). stop ends the watch.
func watchFreeSpace(ctx context.Context, dir string, min int64) (context.Context, func()) {
	if min <= 0 {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	done := make(chan struct{})
	check := func() bool {
		var st unix.Statfs_t
		if err := unix.Statfs(dir, &st); err != nil {
			return true
		}
		free := int64(st.Bavail) * int64(st.Bsize)
		if free >= min {
			return true
		}
		cancel(fmt.Errorf("%w: stopped the RUN because the filesystem of %s has %d bytes free, under the %d-byte reserve; free some space (stevedore clean removes caches) or lower stevedore build --min-free-space", errLowDisk, dir, free, min))
		return false
	}
	go func() {
		t := time.NewTicker(freeSpaceEvery)
		defer t.Stop()
		for check() {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return ctx, func() { close(done); cancel(nil) }
}
