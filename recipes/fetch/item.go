package fetch

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
)

// Item is one source file to put in place. It is plain data so that the
// caller, not this package, owns the package model and template expansion.
type Item struct {
	// Package is the target the file belongs to, e.g. "core-zlib"; it only
	// appears in messages and errors.
	Package string
	// Key is the source key in package.toml, e.g. "zlib"; messages only.
	Key string
	// File is the plain file name, e.g. "zlib-1.3.1.tar.gz". It must not
	// contain a path separator or start with a dot (dot names are reserved
	// for temp files), so that it can never escape Dest.
	File string
	// SHA256 is the expected digest, 64 lowercase hex digits.
	SHA256 string
	// URLs are the mirrors, already expanded, tried in order. Schemes:
	// http, https and file (absolute path, empty or "localhost" host).
	URLs []string
	// Dest is the directory the file goes to, e.g. <tree>/fetch/core/zlib.
	// Its last two elements (<stage>/<origin>) also locate the file inside a
	// mirror dir laid out like a fetch/ tree.
	Dest string
}

// Path is where the file ends up: Dest/File.
func (it Item) Path() string { return filepath.Join(it.Dest, it.File) }

// label names the item in errors and messages.
func (it Item) label() string { return it.Package + " source " + it.Key }

// validate checks everything Fetch relies on before any file is touched.
func (it Item) validate() error {
	var errs []error
	if it.Package == "" || it.Key == "" {
		errs = append(errs, errors.New("package and source key must be set"))
	}
	if err := ValidateFile(it.File); err != nil {
		errs = append(errs, err)
	}
	if err := validateHash(it.SHA256); err != nil {
		errs = append(errs, err)
	}
	if it.Dest == "" {
		errs = append(errs, errors.New("empty destination directory"))
	}
	for _, u := range it.URLs {
		if _, err := ParseURL(u); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("fetch %s: %w", it.label(), err)
	}
	return nil
}

// ValidateFile rejects file names that could escape the destination
// directory or clash with the temp files Fetch writes: empty, ".", "..",
// anything with "/" or "\", a leading dot, control characters, or more than
// 255 bytes. It is exported so the caller can check expanded templates early.
func ValidateFile(name string) error {
	switch {
	case name == "":
		return errors.New("empty file name")
	case len(name) > 255:
		return fmt.Errorf("file name %.40q...: longer than 255 bytes", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("file name %q: must not start with a dot", name)
	case strings.ContainsAny(name, `/\`):
		return fmt.Errorf("file name %q: must not contain a path separator", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("file name %q: control character", name)
		}
	}
	return nil
}

// validateHash accepts exactly what sha256 hex encoding produces, so that
// comparisons can be plain string equality.
func validateHash(h string) error {
	if len(h) != 64 {
		return fmt.Errorf("sha256 %q: want 64 hex digits, got %d characters", h, len(h))
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return fmt.Errorf("sha256 %q: want lowercase hex digits", h)
		}
	}
	return nil
}

// ParseURL parses one mirror URL and rejects what Fetch cannot use: schemes
// other than http, https and file, http(s) without a host, file URLs with a
// remote host or a relative path. It is exported so the caller can validate
// expanded mirror templates when it loads the tree.
func ParseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("mirror url %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https":
		if u.Host == "" {
			return nil, fmt.Errorf("mirror url %q: no host", raw)
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("mirror url %q: file url with a remote host", raw)
		}
		if !filepath.IsAbs(u.Path) {
			return nil, fmt.Errorf("mirror url %q: file url needs an absolute path", raw)
		}
	default:
		return nil, fmt.Errorf("mirror url %q: unsupported scheme %q (want http, https or file)", raw, u.Scheme)
	}
	return u, nil
}
