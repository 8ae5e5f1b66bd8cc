package tree

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// openLog creates <dir>/<target>.log, truncating an older one; with no dir
// it returns a writer that discards.
func openLog(dir, target string) (io.WriteCloser, error) {
	if dir == "" {
		return nopCloser{io.Discard}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return os.Create(filepath.Join(dir, target+".log"))
}

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
