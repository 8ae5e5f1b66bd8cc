package image

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagPattern    = regexp.MustCompile(`^[\w][\w.-]{0,127}$`)
	domainPattern = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?$`)
)

// normalizeName turns the exporter's name= into what index.json carries:
// the fully qualified name with a tag (Docker's ParseNormalizedNamed plus
// TagNameOnly: "core-foo" is docker.io/library/core-foo:latest) and the tag
// alone (containerd's ociReferenceName). Digest references are refused:
// StageX never names an output by digest.
func normalizeName(name string) (full, tag string, err error) {
	if strings.Contains(name, "@") {
		return "", "", fmt.Errorf("image name %q: digest references are not supported", name)
	}
	repo, tag := name, "latest"
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		repo, tag = name[:i], name[i+1:]
	}
	if !tagPattern.MatchString(tag) {
		return "", "", fmt.Errorf("image name %q: invalid tag %q", name, tag)
	}
	domain, path := splitDomain(repo)
	if !domainPattern.MatchString(domain) {
		return "", "", fmt.Errorf("image name %q: invalid registry %q", name, domain)
	}
	for _, c := range strings.Split(path, "/") {
		if !pathComponent.MatchString(c) {
			return "", "", fmt.Errorf("image name %q: invalid path component %q (lowercase letters, digits and separators only)", name, c)
		}
	}
	return domain + "/" + path + ":" + tag, tag, nil
}

// splitDomain is distribution/reference's splitDockerDomain.
func splitDomain(name string) (domain, path string) {
	i := strings.IndexByte(name, '/')
	if i == -1 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != "localhost" && strings.ToLower(name[:i]) == name[:i]) {
		domain, path = "docker.io", name
	} else {
		domain, path = name[:i], name[i+1:]
	}
	if domain == "index.docker.io" {
		domain = "docker.io"
	}
	if domain == "docker.io" && !strings.ContainsRune(path, '/') {
		path = "library/" + path
	}
	return domain, path
}
