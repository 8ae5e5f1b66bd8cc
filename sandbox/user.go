package sandbox

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/sys/user"
)

// ids is a resolved process identity.
type ids struct {
	UID, GID int
	// Groups are the supplementary groups; the primary group is always
	// included first, as BuildKit's WithUIDGID does.
	Groups []int
}

// resolveUser turns a USER string into ids the way BuildKit's oci.GetUser
// does: "uid:gid" with both numeric is taken as is; anything else is looked up
// in the rootfs's own /etc/passwd and /etc/group; "" means root and never
// fails.
func resolveUser(rootfs, spec string) (ids, error) {
	isDefault := spec == ""
	if isDefault {
		spec = "0"
	}
	if uid, gid, ok := parseUIDGID(spec); ok {
		return withPrimaryGroup(ids{UID: uid, GID: gid}), nil
	}
	passwd, closePasswd := openInRoot(rootfs, "/etc/passwd")
	defer closePasswd()
	group, closeGroup := openInRoot(rootfs, "/etc/group")
	defer closeGroup()
	u, err := user.GetExecUser(spec, nil, passwd, group)
	if err != nil {
		if isDefault {
			return withPrimaryGroup(ids{}), nil
		}
		return ids{}, fmt.Errorf("resolve user %q in %s/etc/passwd and /etc/group: %w "+
			"(add the user to the rootfs or give a numeric uid:gid)", spec, rootfs, err)
	}
	return withPrimaryGroup(ids{UID: u.Uid, GID: u.Gid, Groups: u.Sgids}), nil
}

// parseUIDGID is BuildKit's fast path: both parts present and numeric (or
// "root").
func parseUIDGID(s string) (uid, gid int, ok bool) {
	u, g, found := strings.Cut(s, ":")
	if !found {
		return 0, 0, false
	}
	uid, okU := parseID(u)
	gid, okG := parseID(g)
	return uid, gid, okU && okG
}

func parseID(s string) (int, bool) {
	if s == "root" {
		return 0, true
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return int(n), err == nil
}

func withPrimaryGroup(id ids) ids {
	if !slices.Contains(id.Groups, id.GID) {
		id.Groups = append([]int{id.GID}, id.Groups...)
	}
	return id
}

// openInRoot opens name inside rootfs without following symlinks out of it.
// A missing or unreadable file is a nil reader, as in BuildKit.
func openInRoot(rootfs, name string) (io.Reader, func()) {
	p, err := securejoin.SecureJoin(rootfs, name)
	if err != nil {
		return nil, func() {}
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, func() {}
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, func() {}
	}
	return io.LimitReader(f, 10<<20), func() { f.Close() }
}
