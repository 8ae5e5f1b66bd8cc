package containerd

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/images"
	"github.com/containerd/platforms"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/stevedore-build/stevedore/exchange/export"
)

// Options say where the containerd daemon is.
type Options struct {
	// Address is the daemon's gRPC socket path.
	Address string
	// Namespace is the containerd namespace to import into; empty means
	// "default", containerd's own default.
	Namespace string
}

// Loaded is an image containerd stored.
type Loaded struct {
	// Name is the image name in containerd's store.
	Name string
	// Digest is the image's target: the image index of out/<target>.
	Digest v1.Hash
}

// Load streams src as an OCI archive into containerd's Import and returns
// the images it created (one per index.json descriptor, named
// stagex/<target>:<tag>). Blobs are verified as they are streamed;
// containerd verifies them again on ingest.
func Load(ctx context.Context, src *export.Source, o Options) ([]Loaded, error) {
	ns := o.Namespace
	if ns == "" {
		ns = "default"
	}
	if fi, err := os.Stat(o.Address); err != nil || fi.Mode()&os.ModeSocket == 0 {
		return nil, fmt.Errorf("load %s: no containerd socket at %s; is containerd running? (its default is /run/containerd/containerd.sock)", src.Target, o.Address)
	}
	c, err := client.New(o.Address, client.WithDefaultNamespace(ns))
	if err != nil {
		return nil, fmt.Errorf("load %s: connect to containerd at %s: %w (is containerd running?)", src.Target, o.Address, err)
	}
	defer c.Close()
	imgs, err := importStream(ctx, c, src)
	if err != nil {
		return nil, fmt.Errorf("load %s into containerd at %s (namespace %s): %w", src.Target, o.Address, ns, err)
	}
	out := make([]Loaded, 0, len(imgs))
	for _, im := range imgs {
		h, err := v1.NewHash(im.Target.Digest.String())
		if err != nil {
			return nil, fmt.Errorf("load %s: containerd image %s: %w", src.Target, im.Name, err)
		}
		out = append(out, Loaded{Name: im.Name, Digest: h})
	}
	return out, nil
}

// importStream pipes src's OCI tar into containerd's Import and waits for
// the writer, so that src is not closed under it.
func importStream(ctx context.Context, c *client.Client, src *export.Source) ([]images.Image, error) {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := src.WriteOCITar(pw)
		pw.CloseWithError(err)
		done <- err
	}()
	imgs, err := c.Import(ctx, pr, client.WithAllPlatforms(true), client.WithImportPlatform(platforms.All))
	pr.CloseWithError(fmt.Errorf("containerd stopped reading"))
	if werr := <-done; werr != nil && err == nil {
		err = werr
	}
	return imgs, err
}
