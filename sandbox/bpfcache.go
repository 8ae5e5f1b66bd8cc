package sandbox

import (
	"crypto/sha256"
	"encoding/json"
	"os"
	"sync"

	"github.com/opencontainers/runc/libcontainer/configs"
	"golang.org/x/sys/unix"
)

// bpfMemfdName names the memfd that carries a seccomp program to an init.
const bpfMemfdName = "stevedore-seccomp"

// bpfCache remembers, per seccomp configuration, the program libseccomp
// exported in an earlier container's init (seccomp_cache_cgo.go).
type bpfCache struct {
	mu    sync.Mutex
	progs map[[32]byte][]byte
}

// bpfOffer is the cache's part in one run: the file passed to the init
// as fd 3, holding the program, or empty to capture it.
type bpfOffer struct {
	key  [32]byte
	file *os.File
	// capture is set when file is empty and will receive the program.
	capture bool
}

// offer returns what to pass to a run with seccomp configuration sc, or
// nil when there is nothing to do.
func (c *bpfCache) offer(sc *configs.Seccomp) *bpfOffer {
	if !bpfCacheEnabled || sc == nil {
		return nil
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return nil
	}
	key := sha256.Sum256(b)
	c.mu.Lock()
	prog := c.progs[key]
	c.mu.Unlock()
	fd, err := unix.MemfdCreate(bpfMemfdName, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil
	}
	f := os.NewFile(uintptr(fd), bpfMemfdName)
	if prog == nil {
		return &bpfOffer{key: key, file: f, capture: true}
	}
	const seals = unix.F_SEAL_SEAL | unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_WRITE
	if _, err := f.Write(prog); err != nil {
		f.Close()
		return nil
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil
	}
	return &bpfOffer{key: key, file: f}
}

// files returns the init's extra files.
func (o *bpfOffer) files() []*os.File {
	if o == nil {
		return nil
	}
	return []*os.File{o.file}
}

// done learns a captured program and closes the file. A program is a
// sequence of 8-byte sock_filter instructions ending with a return;
// anything else is ignored, and the next run compiles again.
func (c *bpfCache) done(o *bpfOffer) {
	if o == nil {
		return
	}
	defer o.file.Close()
	if !o.capture {
		return
	}
	fi, err := o.file.Stat()
	if err != nil || fi.Size() == 0 || fi.Size()%8 != 0 || fi.Size() > 1<<20 {
		return
	}
	prog := make([]byte, fi.Size())
	if _, err := o.file.ReadAt(prog, 0); err != nil {
		return
	}
	// Every complete program ends with a return (struct sock_filter:
	// little-endian u16 code first; BPF_RET is class 0x06).
	if last := prog[len(prog)-8:]; last[0]&0x07 != 0x06 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.progs == nil {
		c.progs = map[[32]byte][]byte{}
	}
	c.progs[o.key] = prog
}
