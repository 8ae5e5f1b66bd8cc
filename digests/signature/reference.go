package signature

import (
	"fmt"
	"regexp"
	"strings"
)

// defaultDomain is the domain the docker reference grammar gives a name
// without one ("stagex/x" means defaultDomain + "/stagex/x"). It is only used
// to compare names, never contacted.
const defaultDomain = "docker.io"

// legacyDefaultDomain is normalized to defaultDomain, as containers/image does.
const legacyDefaultDomain = "index." + defaultDomain

var (
	domainRE    = regexp.MustCompile(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?$`)
	componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	refTagRE    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	refDigestRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$`)
)

// Reference is a parsed, normalized docker reference.
type Reference struct {
	Domain string // e.g. "127.0.0.1:5000", or defaultDomain when none was given
	Path   string // e.g. "stagex/core-gcc"
	Tag    string // may be empty
	Digest string // may be empty
}

// Name returns domain/path, the normalized repository name.
func (r Reference) Name() string { return r.Domain + "/" + r.Path }

// String returns the normalized reference.
func (r Reference) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ParseReference parses a docker reference and normalizes it the way
// containers/image does: "stagex/x:1" is the same as
// "<default domain>/stagex/x:1", and "x" is "<default domain>/library/x".
func ParseReference(s string) (Reference, error) {
	var r Reference
	rest := s
	if i := strings.Index(rest, "@"); i >= 0 {
		r.Digest, rest = rest[i+1:], rest[:i]
		if !refDigestRE.MatchString(r.Digest) {
			return Reference{}, fmt.Errorf("reference %q: bad digest", s)
		}
	}
	if i := strings.LastIndex(rest, ":"); i >= 0 && !strings.Contains(rest[i:], "/") {
		r.Tag, rest = rest[i+1:], rest[:i]
		if !refTagRE.MatchString(r.Tag) {
			return Reference{}, fmt.Errorf("reference %q: bad tag", s)
		}
	}
	r.Domain, r.Path = splitDomain(rest)
	if !domainRE.MatchString(r.Domain) {
		return Reference{}, fmt.Errorf("reference %q: bad domain %q", s, r.Domain)
	}
	for _, c := range strings.Split(r.Path, "/") {
		if !componentRE.MatchString(c) {
			return Reference{}, fmt.Errorf("reference %q: bad path component %q", s, c)
		}
	}
	if len(r.Name()) > 255 {
		return Reference{}, fmt.Errorf("reference %q: name longer than 255 characters", s)
	}
	return r, nil
}

// splitDomain separates the domain from a name with the docker rules: the
// first component is a domain when it has a "." or ":", is "localhost", or
// has upper-case letters.
func splitDomain(name string) (domain, path string) {
	i := strings.Index(name, "/")
	if i < 0 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != "localhost" && strings.ToLower(name[:i]) == name[:i]) {
		domain, path = defaultDomain, name
	} else {
		domain, path = name[:i], name[i+1:]
	}
	if domain == legacyDefaultDomain {
		domain = defaultDomain
	}
	if domain == defaultDomain && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	return domain, path
}

// NormalizeNamespace returns the normalized form of a registry namespace
// such as "stagex" or "127.0.0.1:5000/stagex" (without the "library/" that
// a single-component image name gets).
func NormalizeNamespace(ns string) (string, error) {
	r, err := ParseReference(strings.TrimSuffix(ns, "/") + "/x")
	if err != nil || r.Tag != "" || r.Digest != "" {
		return "", fmt.Errorf("registry namespace %q: want e.g. stagex or 127.0.0.1:5000/stagex", ns)
	}
	return strings.TrimSuffix(r.Name(), "/x"), nil
}

// ImageReference returns "<registry>/<target>:<tag>", the identity StageX
// signs.
func ImageReference(registry, target, tag string) string {
	return strings.TrimSuffix(registry, "/") + "/" + target + ":" + tag
}
