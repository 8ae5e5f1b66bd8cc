package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/stevedore-build/stevedore/assemble"
	"github.com/stevedore-build/stevedore/assemble/image"
	"github.com/stevedore-build/stevedore/build/project"
)

// output is one --output of file mode, docker buildx build's syntax.
type output struct {
	kind string // oci, docker or local
	dest string
	tar  bool
	name string // name=, the same as --tag
}

// parseOutputs reads --output values: CSV key=value pairs (type, dest,
// tar, rewrite-timestamp, name) or a bare DIR (type=local). Keys stevedore
// does not implement are refused.
func parseOutputs(in []string) ([]output, error) {
	var outs []output
	for _, s := range in {
		if !strings.Contains(s, "=") {
			outs = append(outs, output{kind: "local", dest: s})
			continue
		}
		fields, err := csv.NewReader(strings.NewReader(s)).Read()
		if err != nil {
			return nil, usageErrorf("--output %q: %v", s, err)
		}
		o := output{tar: true}
		rewrite := false
		for _, f := range fields {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "type":
				o.kind = v
			case "dest":
				o.dest = v
			case "tar":
				o.tar = v != "false"
			case "rewrite-timestamp":
				rewrite = v == "true"
			case "name":
				o.name = v
			default:
				return nil, usageErrorf("--output %q: option %q is not supported by stevedore", s, k)
			}
		}
		switch o.kind {
		case "oci", "docker":
			if !rewrite {
				return nil, usageErrorf("--output %q: add rewrite-timestamp=true: stevedore always writes layers clamped to SOURCE_DATE_EPOCH, which BuildKit does only with that option", s)
			}
		case "local":
		default:
			return nil, usageErrorf("--output %q: type %q is not supported (oci, docker or local)", s, o.kind)
		}
		if o.dest == "" || o.dest == "-" {
			return nil, usageErrorf("--output %q: dest=PATH is required (not stdout)", s)
		}
		outs = append(outs, o)
	}
	return outs, nil
}

// write writes one output of the build.
func (o output) write(ctx context.Context, img *assemble.Built, oci *image.Assembled, name string, epoch time.Time) error {
	dest, err := filepath.Abs(o.dest)
	if err != nil {
		return err
	}
	switch {
	case o.kind == "local":
		err = project.WriteLocal(ctx, dest, img, epoch)
	case o.kind == "docker":
		err = project.WriteDockerTar(dest, oci, name)
	case o.tar:
		err = project.WriteOCITar(dest, oci)
	default:
		err = project.WriteOCIDir(dest, oci)
	}
	if err != nil {
		return fmt.Errorf("--output type=%s,dest=%s: %w", o.kind, o.dest, err)
	}
	return nil
}
