package layers

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/containerd/containerd/v2/pkg/archive"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/util/converter/tarconverter"
)

// WriteUpperdir writes the uncompressed layer tar for the changes recorded
// in upper (an overlayfs upperdir, no longer mounted read-write) over
// lowerView (the merged read-only view of the lowers, see MountReadOnly),
// and returns its diffID. The bytes are BuildKit's on overlayfs with
// rewrite-timestamp=true: its upperdir walk, containerd's ChangeWriter
// headers, then the re-serialisation through Go's tar.Reader and tar.Writer
// that clamps times to epoch. Memory does not grow with the layer size.
func WriteUpperdir(ctx context.Context, w io.Writer, lowerView, upper string, epoch time.Time) (v1.Hash, error) {
	h := sha256.New()
	if err := writeUpperdir(ctx, io.MultiWriter(w, h), lowerView, upper, epoch); err != nil {
		return v1.Hash{}, err
	}
	return hashOf(h), nil
}

func writeUpperdir(ctx context.Context, w io.Writer, lowerView, upper string, epoch time.Time) error {
	if err := checkEpoch(epoch); err != nil {
		return err
	}
	return withUpperView(upper, func(view string) error {
		return rewriteStream(w, epoch, func(raw io.Writer) error {
			cw := archive.NewChangeWriter(raw, view)
			if err := upperChanges(ctx, cw.HandleChange, upper, view, lowerView); err != nil {
				cw.Close()
				return fmt.Errorf("diff upperdir %s: %w", upper, err)
			}
			if err := cw.Close(); err != nil {
				return fmt.Errorf("diff upperdir %s: %w", upper, err)
			}
			return nil
		})
	})
}

// withUpperView mounts upper read-only over an empty directory, which hides
// its whiteouts, and calls fn with the view (BuildKit's withUpperdirView):
// file data and parent directories are read from there. The view lives
// next to upper (in the build's scratch directory, which a later build
// sweeps if this process dies), not in $TMPDIR.
func withUpperView(upper string, fn func(view string) error) (err error) {
	tmp, err := os.MkdirTemp(filepath.Dir(upper), ".upperview-")
	if err != nil {
		return fmt.Errorf("upperdir view: %w", err)
	}
	defer os.RemoveAll(tmp)
	empty, view := filepath.Join(tmp, "empty"), filepath.Join(tmp, "view")
	for _, d := range []string{empty, view} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return fmt.Errorf("upperdir view: %w", err)
		}
	}
	unmount, err := MountReadOnly([]string{empty, upper}, view)
	if err != nil {
		return fmt.Errorf("upperdir view: %w", err)
	}
	defer func() {
		if uerr := unmount(); err == nil {
			err = uerr
		}
	}()
	return fn(view)
}

// rewriteStream runs produce, which writes a raw tar, and copies that tar to
// w through BuildKit's tarconverter with the timestamp rewrite: the final
// headers are Go's re-encoding of what tar.Reader parsed, as in BuildKit's
// exporter. A failure of produce wins over the pipe errors it causes.
func rewriteStream(w io.Writer, epoch time.Time, produce func(io.Writer) error) error {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := produce(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	rd := tarconverter.NewReader(pr, rewriteTimestamp(epoch))
	_, copyErr := io.Copy(w, rd)
	rd.Close()
	pr.CloseWithError(errStopped)
	perr := <-done
	if perr != nil && !errors.Is(perr, errStopped) {
		return perr
	}
	if copyErr != nil {
		return fmt.Errorf("rewrite layer tar: %w", copyErr)
	}
	return perr
}

// errStopped tells the tar producer that nobody reads its output any more.
var errStopped = errors.New("layer tar consumer stopped")

// rewriteTimestamp is BuildKit's rewriteTimestampInTarHeader
// (util/converter/converter.go): times later than the epoch become the
// epoch, earlier ones are kept.
func rewriteTimestamp(epoch time.Time) tarconverter.HeaderConverter {
	return func(hdr *tar.Header) {
		if hdr.ModTime.After(epoch) {
			hdr.ModTime = epoch
		}
		if hdr.AccessTime.After(epoch) {
			hdr.AccessTime = epoch
		}
		if hdr.ChangeTime.After(epoch) {
			hdr.ChangeTime = epoch
		}
	}
}

// Canonicalize copies the tar stream r to w through the same timestamp
// rewrite BuildKit's exporter applies to every layer it built, and returns
// the diffID of the result. It lets tests and tools re-encode a tar made by
// other means exactly as the exporter would.
func Canonicalize(w io.Writer, r io.Reader, epoch time.Time) (v1.Hash, error) {
	if err := checkEpoch(epoch); err != nil {
		return v1.Hash{}, err
	}
	h := sha256.New()
	err := rewriteStream(io.MultiWriter(w, h), epoch, func(raw io.Writer) error {
		_, err := io.Copy(raw, r)
		return err
	})
	if err != nil {
		return v1.Hash{}, err
	}
	return hashOf(h), nil
}

// maxUSTARTime is the largest mtime a USTAR header holds (11 octal digits).
const maxUSTARTime = 1<<33 - 1

// checkEpoch rejects epochs the rewrite cannot encode: clamping a USTAR
// header's time to one of them would need PAX, which Go's writer refuses
// for a header read as USTAR (BuildKit would fail the same way).
func checkEpoch(epoch time.Time) error {
	if s := epoch.Unix(); s < 0 || s > maxUSTARTime || epoch.Nanosecond() != 0 {
		return fmt.Errorf("epoch %d.%09d: want whole seconds between 0 and %d", s, epoch.Nanosecond(), maxUSTARTime)
	}
	return nil
}
