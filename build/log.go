package build

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/stevedore-build/stevedore/internal/lock"
)

// openLog opens <dir>/<target>.log locked exclusively, then truncates it:
// another build of the same target (another stevedore on this tree) holds
// the lock until it is done, so two builds never write one log, and the
// second one then finds the first one's result in the target cache. With
// no dir it returns a writer that discards.
func openLog(ctx context.Context, dir, target string, progressOut io.Writer) (io.WriteCloser, error) {
	if dir == "" {
		return nopCloser{io.Discard}, nil
	}
	path := filepath.Join(dir, target+".log")
	l, err := lock.Acquire(ctx, path, lock.Exclusive, func() {
		progress(progressOut, "%s: waiting for another build of it on this tree (%s)", target, path)
	})
	if err != nil {
		return nil, err
	}
	f := l.File()
	if err := f.Truncate(0); err != nil {
		l.Release()
		return nil, fmt.Errorf("truncate %s: %w", path, err)
	}
	return lockedLog{f, l}, nil
}

type lockedLog struct {
	*os.File
	l *lock.File
}

func (l lockedLog) Close() error { return l.l.Release() }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// targetLog writes a target's steps and RUN output in full to the log file
// and, line by line prefixed with the target's name, to progress.
func targetLog(file io.Writer, progress io.Writer, target string) io.Writer {
	if progress == nil {
		return file
	}
	return io.MultiWriter(file, &prefixWriter{w: progress, prefix: []byte(target + " | ")})
}

// prefixWriter prefixes every complete line; a partial line waits for its
// end so that concurrent writers never interleave within a line.
type prefixWriter struct {
	mu     sync.Mutex
	w      io.Writer
	prefix []byte
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		line := append(append([]byte(nil), p.prefix...), p.buf[:i+1]...)
		if _, err := p.w.Write(line); err != nil {
			return len(b), err
		}
		p.buf = p.buf[i+1:]
	}
}
