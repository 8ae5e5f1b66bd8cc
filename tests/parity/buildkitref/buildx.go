package buildkitref

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// BuildxOptions are the docker buildx build flags a downstream project
// uses, for BuildxArgs to turn into the equivalent buildctl call (what
// buildx sends BuildKit, without provenance attestations).
type BuildxOptions struct {
	// Context is the main build context; Containerfile defaults to
	// Context/Dockerfile.
	Context, Containerfile string
	// BuildArgs are --build-arg KEY=VALUE (SOURCE_DATE_EPOCH included).
	BuildArgs []string
	// BuildContexts are --build-context NAME=DIR|oci-layout://DIR@DIGEST|docker-image://REF.
	BuildContexts []string
	// Target and Platform are --target and --platform ("" for none).
	Target, Platform string
	// Tag is --tag ("" for none); it becomes the OCI output's name=.
	Tag string
	// Outputs are --output values (CSV).
	Outputs []string
}

// BuildxArgs returns buildctl's arguments for o, as docker buildx build
// passes them: the contexts as locals, build args, named contexts and
// target as frontend options, the tag as the image exporters' name.
func BuildxArgs(o BuildxOptions) ([]string, error) {
	file := o.Containerfile
	if file == "" {
		file = filepath.Join(o.Context, "Dockerfile")
	}
	args := []string{"build", "--frontend", "dockerfile.v0",
		"--local", "context=" + o.Context, "--local", "dockerfile=" + filepath.Dir(file),
		"--opt", "filename=" + filepath.Base(file)}
	for _, a := range o.BuildArgs {
		args = append(args, "--opt", "build-arg:"+a)
	}
	for _, c := range o.BuildContexts {
		name, v, ok := strings.Cut(c, "=")
		if !ok {
			return nil, fmt.Errorf("build context %q: want NAME=VALUE", c)
		}
		switch {
		case strings.HasPrefix(v, "oci-layout://"):
			dir, dg, _ := strings.Cut(strings.TrimPrefix(v, "oci-layout://"), "@")
			id := "ocl-" + strings.NewReplacer("/", "-", ":", "-").Replace(name)
			args = append(args, "--oci-layout", id+"="+dir, "--opt", "context:"+name+"=oci-layout://"+id+"@"+dg)
		case strings.HasPrefix(v, "docker-image://"):
			args = append(args, "--opt", "context:"+name+"="+v)
		default:
			id := "ctx-" + strings.NewReplacer("/", "-", ":", "-").Replace(name)
			args = append(args, "--local", id+"="+v, "--opt", "context:"+name+"=local:"+id)
		}
	}
	if o.Target != "" {
		args = append(args, "--opt", "target="+o.Target)
	}
	if o.Platform != "" {
		args = append(args, "--opt", "platform="+o.Platform)
	}
	for _, out := range o.Outputs {
		if o.Tag != "" && (strings.Contains(out, "type=oci") || strings.Contains(out, "type=docker")) {
			out += ",name=" + o.Tag
		}
		args = append(args, "--output", out)
	}
	return args, nil
}

// Buildx runs the buildctl equivalent of docker buildx build with o.
func (d *Daemon) Buildx(ctx context.Context, o BuildxOptions) error {
	bargs, err := BuildxArgs(o)
	if err != nil {
		return err
	}
	for _, out := range o.Outputs {
		for _, f := range strings.Split(out, ",") {
			if dest, ok := strings.CutPrefix(f, "dest="); ok {
				if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
					return err
				}
			}
		}
	}
	args := append([]string{"buildctl", "--addr", d.Addr, "--"}, bargs...)
	if _, err := d.opts.run(ctx, nil, args...); err != nil {
		return fmt.Errorf("%w\nbuildkitd log:\n%s", err, d.Log())
	}
	return nil
}
