package layers

import (
	"archive/tar"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/userns"
	"golang.org/x/sys/unix"
)

// userXattr reports whether overlay must keep its markers in user.overlay.*
// xattrs (the userxattr mount option): inside a user namespace, as in a
// rootless build, trusted.* xattrs are out of reach. The differ reads both
// kinds of opaque marker.
var userXattr = userns.RunningInUserNS

// mountOptions are overlayOptions for this process: with userxattr the
// kernel rejects redirect_dir=off (it means "follow"), and nofollow is the
// equivalent that neither creates nor follows redirects.
func mountOptions() [][2]string {
	if !userXattr() {
		return overlayOptions
	}
	out := make([][2]string, 0, len(overlayOptions))
	for _, o := range overlayOptions {
		if o[0] == "redirect_dir" {
			o[1] = "nofollow"
		}
		out = append(out, o)
	}
	return out
}

// overlayConvertWhiteoutUser is containerd's OverlayConvertWhiteout for
// userxattr overlays: an opaque directory gets user.overlay.opaque=y and a
// whiteout becomes a 0/0 character device (which a user namespace may
// create since Linux 5.8).
func overlayConvertWhiteoutUser(hdr *tar.Header, path string) (bool, error) {
	base, dir := filepath.Base(path), filepath.Dir(path)
	if base == ".wh..wh..opq" {
		return false, unix.Setxattr(dir, "user.overlay.opaque", []byte{'y'}, 0)
	}
	if strings.HasPrefix(base, ".wh.") {
		orig := filepath.Join(dir, base[len(".wh."):])
		if err := unix.Mknod(orig, unix.S_IFCHR, 0); err != nil {
			return false, err
		}
		return false, os.Chown(orig, hdr.Uid, hdr.Gid)
	}
	return true, nil
}
