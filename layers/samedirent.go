package layers

// Port of BuildKit v0.34.2 util/overlay/overlay_linux.go sameDirent and its
// helpers, themselves ported from containerd/continuity (Apache-2.0,
// Copyright The containerd Authors). See changes.go for why it is a copy.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/containerd/continuity/sysx"
)

// sameDirent reports whether an upperdir entry f2 equals the lower entry
// f1, so that a copied-up but unchanged file (or a parent directory that
// only exists in the upperdir to hold a child) is not written to the layer.
// Mode, owner, rdev and security.capability must match; for non-directories
// also size and mtime, and when both mtimes have no nanoseconds (as after
// unpacking a tar) the content or symlink target.
func sameDirent(f1, f2 os.FileInfo, f1fullPath, f2fullPath string) (bool, error) {
	if os.SameFile(f1, f2) {
		return true, nil
	}
	if !sameSysStat(f1.Sys(), f2.Sys()) {
		return false, nil
	}
	if eq, err := sameCapabilities(f1fullPath, f2fullPath); err != nil || !eq {
		return eq, err
	}
	if f1.IsDir() {
		return true, nil
	}
	if f1.Size() != f2.Size() {
		return false, nil
	}
	t1, t2 := f1.ModTime(), f2.ModTime()
	if t1.Unix() != t2.Unix() {
		return false, nil
	}
	if t1.Nanosecond() == 0 && t2.Nanosecond() == 0 {
		if f1.Mode()&os.ModeSymlink == os.ModeSymlink {
			return sameSymlinkTarget(f1fullPath, f2fullPath)
		}
		if f1.Size() == 0 {
			return true, nil
		}
		return sameFileContent(f1fullPath, f2fullPath)
	}
	return t1.Nanosecond() == t2.Nanosecond(), nil
}

func sameSysStat(s1, s2 any) bool {
	ls1, ok1 := s1.(*syscall.Stat_t)
	ls2, ok2 := s2.(*syscall.Stat_t)
	if !ok1 || !ok2 {
		return false
	}
	return ls1.Mode == ls2.Mode && ls1.Uid == ls2.Uid && ls1.Gid == ls2.Gid && ls1.Rdev == ls2.Rdev
}

func sameCapabilities(p1, p2 string) (bool, error) {
	c1, err := sysx.LGetxattr(p1, "security.capability")
	if err != nil && !errors.Is(err, sysx.ENODATA) {
		return false, fmt.Errorf("get xattr for %s: %w", p1, err)
	}
	c2, err := sysx.LGetxattr(p2, "security.capability")
	if err != nil && !errors.Is(err, sysx.ENODATA) {
		return false, fmt.Errorf("get xattr for %s: %w", p2, err)
	}
	return bytes.Equal(c1, c2), nil
}

func sameSymlinkTarget(p1, p2 string) (bool, error) {
	t1, err := os.Readlink(p1)
	if err != nil {
		return false, err
	}
	t2, err := os.Readlink(p2)
	if err != nil {
		return false, err
	}
	return t1 == t2, nil
}

// sameFileContent compares two regular files chunk by chunk.
func sameFileContent(p1, p2 string) (bool, error) {
	f1, err := openRegular(p1)
	if err != nil {
		return false, err
	}
	defer f1.Close()
	f2, err := openRegular(p2)
	if err != nil {
		return false, err
	}
	defer f2.Close()
	b1, b2 := make([]byte, 32*1024), make([]byte, 32*1024)
	for {
		n1, err1 := readChunk(f1, b1)
		if err1 != nil && err1 != io.EOF {
			return false, err1
		}
		n2, err2 := readChunk(f2, b2)
		if err2 != nil && err2 != io.EOF {
			return false, err2
		}
		if n1 != n2 || !bytes.Equal(b1[:n1], b2[:n2]) {
			return false, nil
		}
		if err1 == io.EOF && err2 == io.EOF {
			return true, nil
		}
	}
}

func readChunk(r io.Reader, b []byte) (int, error) {
	n, err := io.ReadFull(r, b)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = io.EOF
	}
	return n, err
}

func openRegular(p string) (*os.File, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s is not a regular file", p)
	}
	return f, nil
}
