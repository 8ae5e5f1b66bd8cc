package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/stevedore-build/stevedore/recipes"
	"github.com/stevedore-build/stevedore/recipes/fetch"
	"github.com/stevedore-build/stevedore/recipes/sources"
)

type fetchOptions struct {
	Offline    bool
	MirrorDirs []string
	Parallel   int
	Retries    int
	Progress   string
	Platform   string
	MaxSize    sizeFlag
}

func init() { register(newFetchCmd) }

func newFetchCmd(g *globalOptions) *cobra.Command {
	o := &fetchOptions{MaxSize: sizeFlag(fetch.DefaultMaxBytes)}
	cmd := &cobra.Command{
		Use:   "fetch [TARGET...]",
		Short: "Download and verify the sources of targets and their dependencies",
		Long: `fetch puts every source file of the selected targets (and of everything they
depend on) at fetch/<stage>/<origin>/<file>, trying each mirror in order and
checking SHA-256 while streaming; a file is only renamed into place when its
hash matches. Files already present are re-verified. The files are then
linked into packages/<stage>/<origin>/fetch/ for the build, as StageX does.`,
		Example: `  stevedore fetch core-zlib
  stevedore fetch --offline                         # check the cache, list what is missing
  stevedore fetch --mirror-dir /media/usb/fetch all # air-gapped: sources from a folder`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runFetch(cmd, g, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.Offline, "offline", false, "use only files already present (and mirror dirs); list every missing file")
	f.StringArrayVar(&o.MirrorDirs, "mirror-dir", nil, "local folder with sources (flat, or laid out like fetch/); repeatable")
	f.IntVar(&o.Parallel, "parallel", 4, "downloads at once")
	f.IntVar(&o.Retries, "retries", 3, "retries of a transient failure per mirror")
	f.StringVar(&o.Progress, "progress", "auto", "progress output: auto, plain, tty or quiet")
	f.StringVar(&o.Platform, "platform", recipes.DefaultPlatform, "platform of packages that set none")
	f.Var(&o.MaxSize, "max-download-size", "largest file a download may be (e.g. 512M, 8G); a larger one fails before it fills the disk")
	return cmd
}

func runFetch(cmd *cobra.Command, g *globalOptions, o *fetchOptions, args []string) error {
	reporter, err := fetchReporter(o.Progress, cmd.ErrOrStderr())
	if err != nil {
		return err
	}
	if o.Parallel < 1 {
		return usageErrorf("--parallel must be at least 1")
	}
	tree, ordered, err := loadPlan(cmd.ErrOrStderr(), g, o.Platform, args)
	if err != nil {
		return err
	}
	items := sources.Items(tree, ordered)
	err = fetch.Fetch(cmd.Context(), items, fetch.Options{
		Offline:    o.Offline,
		MirrorDirs: o.MirrorDirs,
		Parallel:   o.Parallel,
		Retries:    o.Retries,
		Backoff:    time.Second,
		MaxBytes:   int64(o.MaxSize),
		Reporter:   reporter,
	})
	if err != nil {
		return err
	}
	if err := sources.Link(tree, ordered); err != nil {
		return err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%d source files of %d targets verified\n", len(items), len(ordered))
	return nil
}

func fetchReporter(mode string, w io.Writer) (fetch.Reporter, error) {
	switch mode {
	case "auto":
		if f, ok := w.(*os.File); ok && isTerminal(f) {
			return fetch.NewBarReporter(w), nil
		}
		return fetch.NewLineReporter(w), nil
	case "plain":
		return fetch.NewLineReporter(w), nil
	case "tty":
		return fetch.NewBarReporter(w), nil
	case "quiet":
		return nil, nil
	}
	return nil, usageErrorf("--progress=%s: want auto, plain, tty or quiet", mode)
}
