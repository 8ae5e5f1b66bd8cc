package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/stevedore-build/stevedore/assemble"
	"github.com/stevedore-build/stevedore/build/project"
	"github.com/stevedore-build/stevedore/oci"
)

// addFileFlags adds docker buildx build's flags for building one
// Containerfile (file mode).
func addFileFlags(f *pflag.FlagSet, o *buildOptions) {
	f.StringVarP(&o.File, "file", "f", "", "file mode: the Containerfile (default CONTEXT/Dockerfile, else CONTEXT/Containerfile)")
	f.StringArrayVar(&o.BuildArgs, "build-arg", nil, "file mode: set a build argument, KEY=VALUE (KEY alone takes it from the environment)")
	f.StringArrayVar(&o.BuildContext, "build-context", nil, "file mode: NAME=DIR, NAME=oci-layout://DIR[@sha256:...] or NAME=docker-image://REF")
	f.StringVar(&o.Target, "target", "", "file mode: the stage to build")
	f.StringArrayVarP(&o.Tags, "tag", "t", nil, "file mode: name the image (the OCI output's name=)")
	f.StringArrayVarP(&o.Outputs, "output", "o", nil, "file mode: type=oci|docker,dest=FILE[,tar=false],rewrite-timestamp=true or type=local,dest=DIR")
	f.StringVar(&o.Verify, "verify", "", "file mode: exit 1 unless the image manifest digest is this sha256:...")
	f.StringVar(&o.CacheDir, "cache-dir", "", "file mode: image store, layer cache and work space (default $XDG_CACHE_HOME/stevedore or ~/.cache/stevedore)")
}

// fileMode reports whether build runs one Containerfile: -f was given, or
// the one argument is a path rather than a target name.
func fileMode(cmd *cobra.Command, args []string) bool {
	if cmd.Flags().Changed("file") {
		return true
	}
	return len(args) == 1 && (args[0] == "." || args[0] == ".." || strings.Contains(args[0], "/"))
}

// runBuildFile is `stevedore build -f FILE CONTEXT`.
func runBuildFile(cmd *cobra.Command, o *buildOptions, args []string) error {
	if len(args) > 1 {
		return usageErrorf("build: file mode takes one CONTEXT, got %d arguments", len(args))
	}
	if rootless() {
		return reexecRootless(cmd)
	}
	ctxDir := "."
	if len(args) == 1 {
		ctxDir = args[0]
	}
	ctxDir, err := filepath.Abs(ctxDir)
	if err != nil {
		return err
	}
	file, err := containerfilePath(o.File, ctxDir)
	if err != nil {
		return err
	}
	buildArgs, err := parseBuildArgs(o.BuildArgs)
	if err != nil {
		return err
	}
	epoch, err := sourceDateEpoch(buildArgs)
	if err != nil {
		return err
	}
	outputs, err := parseOutputs(o.Outputs)
	if err != nil {
		return err
	}
	plat, err := oci.ParsePlatform(o.Platform)
	if err != nil || strings.Contains(o.Platform, ",") {
		return usageErrorf("--platform %q: want one os/arch[/variant]", o.Platform)
	}
	if o.Verify != "" {
		if h, err := v1.NewHash(o.Verify); err != nil || h.Algorithm != "sha256" {
			return usageErrorf("--verify %q: want sha256:<64 hex digits>", o.Verify)
		}
	}
	name, err := imageName(o.Tags, outputs)
	if err != nil {
		return err
	}
	progress, done, err := progressWriter(cmd, o.Progress)
	if err != nil {
		return err
	}
	defer done()
	builderUmask()
	cacheRoot, err := cacheDir(o.CacheDir)
	if err != nil {
		return err
	}
	o.WorkDir = filepath.Join(cacheRoot, "work")
	b, _, err := newBuilder(cacheRoot, o)
	if err != nil {
		return err
	}
	b.FetchSteps = ""
	if !o.NoCache {
		b.Cache = &assemble.LayerCache{Dir: filepath.Join(cacheRoot, "cache", "layers")}
	}
	resolver, err := newFileResolver(cacheRoot, file, o)
	if err != nil {
		return err
	}
	defer resolver.Close()
	po := project.Options{
		Containerfile: file, ContextDir: ctxDir, Target: o.Target, Platform: plat,
		BuildArgs: buildArgs, Epoch: epoch, Log: progress, NetworkForFetchSteps: o.NetworkForFetchSteps,
	}
	if err := resolveContexts(cmd.Context(), resolver, o.BuildContext, &po); err != nil {
		return err
	}
	if err := resolveBaseImages(cmd.Context(), resolver, &po); err != nil {
		return err
	}
	img, err := project.Build(cmd.Context(), b, po)
	if err != nil {
		return err
	}
	defer img.Close()
	oci, err := project.Assemble(img, epoch, name)
	if err != nil {
		return err
	}
	for _, out := range outputs {
		if err := out.write(cmd.Context(), img, oci, name, epoch); err != nil {
			return err
		}
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s\n", oci.ManifestDigest)
	return verifyDigest(cmd.Context(), cmd, verifyCheck{
		want: o.Verify, file: file, name: name, built: oci, resolver: resolver, workDir: b.WorkDir,
		platform: plat,
	})
}

// imageName is the one name of the image: --tag or the outputs' name=.
func imageName(tags []string, outs []output) (string, error) {
	names := append([]string(nil), tags...)
	for _, o := range outs {
		if o.name != "" {
			names = append(names, o.name)
		}
	}
	for _, n := range names[min(1, len(names)):] {
		if n != names[0] {
			return "", usageErrorf("--tag/name=: stevedore names the image once; got %s and %s", names[0], n)
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	return names[0], nil
}

// containerfilePath is -f (relative to the working directory, as buildx
// reads it), else CONTEXT/Dockerfile, else CONTEXT/Containerfile.
func containerfilePath(flag, ctxDir string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	for _, n := range []string{"Dockerfile", "Containerfile"} {
		p := filepath.Join(ctxDir, n)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s has no Dockerfile or Containerfile; name the file with -f", ctxDir)
}

// parseBuildArgs reads --build-arg KEY=VALUE (KEY alone: from the
// environment, skipped when unset, as buildx does) and adds
// SOURCE_DATE_EPOCH from the environment unless given.
func parseBuildArgs(in []string) (map[string]string, error) {
	args := map[string]string{}
	for _, a := range in {
		k, v, ok := strings.Cut(a, "=")
		if k == "" {
			return nil, usageErrorf("--build-arg %q: want KEY=VALUE", a)
		}
		if !ok {
			if v, ok = os.LookupEnv(k); !ok {
				continue
			}
		}
		args[k] = v
	}
	if _, ok := args["SOURCE_DATE_EPOCH"]; !ok {
		if v, ok := os.LookupEnv("SOURCE_DATE_EPOCH"); ok && v != "" {
			args["SOURCE_DATE_EPOCH"] = v
		}
	}
	return args, nil
}

// sourceDateEpoch is the SOURCE_DATE_EPOCH build argument, required.
func sourceDateEpoch(args map[string]string) (time.Time, error) {
	v, ok := args["SOURCE_DATE_EPOCH"]
	if !ok {
		return time.Time{}, usageErrorf("SOURCE_DATE_EPOCH is not set (environment or --build-arg): stevedore builds only reproducible images, as BuildKit does with rewrite-timestamp=true")
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, usageErrorf("SOURCE_DATE_EPOCH %q: want whole seconds since 1970", v)
	}
	return time.Unix(n, 0).UTC(), nil
}

// cacheDir is --cache-dir, else the user's cache folder.
func cacheDir(flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder (%v): pass --cache-dir", err)
	}
	return filepath.Join(d, "stevedore"), nil
}
