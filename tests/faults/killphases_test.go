package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
)

// killEnv is what the kill phases need besides the fixture.
type killEnv struct {
	key       string // secret key file for sign
	refBundle string // a bundle of core-hello and core-box, for unbundle
	dst       string // a recipes-only tree unbundle writes into
	images    int    // the number of images refBundle carries
}

// allTargets are the example tree's targets.
var allTargets = []string{"bootstrap-seed", "core-box", "core-filesystem", "core-greeting", "core-hello", "core-hello-doc"}

// fetchPhases kill fetch while it downloads and while it re-verifies.
func fetchPhases() []phase {
	return []phase{{
		name:  "download",
		kills: 30,
		setup: func(f *fixture, _ *rand.Rand) {
			os.RemoveAll(filepath.Join(f.tree, "fetch"))
		},
		cmd:     func(f *fixture, _ *rand.Rand) command { return f.cmd("fetch", "--progress=plain") },
		trigger: either(fromStart, fileAppears("fetch/core/box/.box.tmp-*", 250*time.Millisecond)),
		check: func(f *fixture) []string {
			var bad []string
			if n := len(glob(f.tree, "fetch/*/*/[^.]*")); n != len(f.check.hashes) {
				bad = append(bad, fmt.Sprintf("fetch/ holds %d sources after a successful fetch, want %d", n, len(f.check.hashes)))
			}
			return append(bad, noTemps(f.tree, "fetch/*/*/.*.tmp-*")...)
		},
	}, {
		name:  "source verification",
		kills: 20,
		setup: func(f *fixture, _ *rand.Rand) { f.forget("core-box") },
		cmd: func(f *fixture, r *rand.Rand) command {
			if r.IntN(2) == 0 {
				return f.cmd("fetch", "--offline", "--progress=plain")
			}
			return f.cmd("build", "--progress=plain", "core-box")
		},
		trigger: fromStart,
	}}
}

// buildPhases kill build while it unpacks, runs each RUN, writes a layer
// and writes a layout.
func buildPhases(f *fixture) []phase {
	ps := []phase{{
		name:  "unpack tar.gz",
		kills: 10,
		setup: func(f *fixture, _ *rand.Rand) {
			f.forget("bootstrap-seed", f.nthStep("bootstrap-seed", "ADD ", 1).digest)
		},
		cmd:     build("bootstrap-seed"),
		trigger: buildLine("bootstrap-seed", "ADD ", 1, 60*time.Millisecond),
		check:   outIs("bootstrap-seed"),
	}, {
		name:  "unpack tar.xz",
		kills: 10,
		setup: func(f *fixture, _ *rand.Rand) {
			f.forget("core-hello", f.nthStep("core-hello", "ADD ", 1).digest)
		},
		cmd:     build("core-hello"),
		trigger: buildLine("core-hello", "ADD ", 1, 60*time.Millisecond),
		check:   outIs("core-hello"),
	}, runPhase("core-box", 1, 10)}
	for n := 1; n <= 4; n++ {
		ps = append(ps, runPhase("core-hello", n, 10))
	}
	return append(ps, phase{
		name:  "layer write",
		kills: 20,
		setup: func(f *fixture, _ *rand.Rand) {
			// The output's layer: only the layers of an output become blobs.
			f.forget("core-box", f.nthStep("core-box", "COPY ", 1).digest)
		},
		cmd:     build("core-box"),
		trigger: fileAppears(".stevedore/work/build-*/blobs/.blob-*", 100*time.Millisecond),
		check:   outIs("core-box"),
	}, phase{
		name:  "layout write",
		kills: 20,
		setup: func(f *fixture, r *rand.Rand) {
			f.forget("core-box")
			if r.IntN(2) == 0 {
				os.RemoveAll(filepath.Join(f.tree, "out", "core-box"))
			}
		},
		cmd:     build("core-box"),
		trigger: either(fromStart, fileAppears("out/.core-box.tmp-*", 20*time.Millisecond)),
		check:   outIs("core-box"),
	})
}

// outputPhases kill the commands that work on built images: digests, sign,
// export, bundle and unbundle.
func outputPhases(env killEnv) []phase {
	return []phase{{
		name:  "digest record",
		kills: 15,
		setup: func(f *fixture, r *rand.Rand) {
			if r.IntN(2) == 0 {
				os.RemoveAll(filepath.Join(f.tree, "digests"))
			}
		},
		cmd:     func(f *fixture, _ *rand.Rand) command { return f.cmd("digests") },
		trigger: either(fromStart, fileAppears("digests/.*.tmp-*", 3*time.Millisecond)),
		check: func(f *fixture) []string {
			if n := len(glob(f.tree, "digests/*.txt")); n != 2 {
				return []string{fmt.Sprintf("%d digests files after a successful digests, want 2", n)}
			}
			return noTemps(f.tree, "digests/.*")
		},
	}, {
		name:  "sign",
		kills: 15,
		setup: func(f *fixture, _ *rand.Rand) { os.RemoveAll(filepath.Join(f.tree, "signatures")) },
		cmd: func(f *fixture, _ *rand.Rand) command {
			return f.cmd(append([]string{"sign", "--key", env.key}, allTargets...)...)
		},
		trigger: either(fromStart, fileAppears("signatures/stagex/*/.signature-*", 3*time.Millisecond)),
		check: func(f *fixture) []string {
			if n := len(glob(f.tree, "signatures/stagex/*/signature-1")); n != len(allTargets) {
				return []string{fmt.Sprintf("%d targets signed after a successful sign, want %d", n, len(allTargets))}
			}
			return nil
		},
	}, {
		name:  "export",
		kills: 20,
		setup: func(f *fixture, r *rand.Rand) {
			if r.IntN(2) == 0 { // else the export replaces an earlier one
				os.RemoveAll(filepath.Join(f.tree, "exports"))
			}
			os.MkdirAll(filepath.Join(f.tree, "exports"), 0o755)
		},
		cmd: func(f *fixture, r *rand.Rand) command {
			formats := [][2]string{{"oci-archive", ".oci.tar"}, {"docker-archive", ".docker.tar"}, {"oci-dir", ".oci"}}
			fm := formats[r.IntN(len(formats))]
			return f.cmd("export", "--format", fm[0], "-o", filepath.Join(f.tree, "exports", "core-box"+fm[1]), "core-box")
		},
		trigger: either(fromStart, fileAppears("exports/.core-box*", 30*time.Millisecond)),
		check: func(f *fixture) []string {
			if n := len(glob(f.tree, "exports/[^.]*")); n == 0 {
				return []string{"no export after a successful export"}
			}
			return noTemps(f.tree, "exports/.*")
		},
	}, {
		name:  "bundle",
		kills: 15,
		setup: func(f *fixture, r *rand.Rand) {
			if r.IntN(2) == 0 { // else the bundle replaces an earlier one
				os.RemoveAll(filepath.Join(f.tree, "bundles"))
			}
			os.MkdirAll(filepath.Join(f.tree, "bundles"), 0o755)
		},
		cmd: func(f *fixture, _ *rand.Rand) command {
			return f.cmd("bundle", "-o", filepath.Join(f.tree, "bundles", "core.bundle"), "core-hello", "core-box")
		},
		trigger: either(fromStart, fileAppears("bundles/.core.bundle*", 30*time.Millisecond)),
		check: func(f *fixture) []string {
			if _, err := os.Stat(filepath.Join(f.tree, "bundles", "core.bundle")); err != nil {
				return []string{"no bundle after a successful bundle: " + err.Error()}
			}
			return noTemps(f.tree, "bundles/.*")
		},
	}, {
		name:  "unbundle",
		kills: 15,
		setup: func(f *fixture, _ *rand.Rand) {
			for _, d := range append([]string{"fetch", "out"}, glob(env.dst, "packages/*/*/fetch")...) {
				os.RemoveAll(filepath.Join(env.dst, d))
			}
		},
		cmd: func(f *fixture, _ *rand.Rand) command {
			c := f.cmd("unbundle", env.refBundle)
			c.args[1], c.dir = env.dst, env.dst
			return c
		},
		trigger: either(fromStart, fileAppears("fetch/core/*/.*", 20*time.Millisecond)),
		check: func(f *fixture) []string {
			bad := f.check.tree(env.dst)
			if n := len(glob(env.dst, "out/[^.]*")); n != env.images {
				bad = append(bad, fmt.Sprintf("%d images unbundled after a successful unbundle, want %d", n, env.images))
			}
			return append(bad, noTemps(env.dst, "out/.*", "fetch/*/*/.*")...)
		},
	}}
}

// noTemps expects no file matching patterns (under tree): the temp files
// and dirs of a killed writer are gone once the command succeeded.
func noTemps(tree string, patterns ...string) []string {
	var bad []string
	for _, p := range patterns {
		if left := glob(tree, p); len(left) > 0 {
			bad = append(bad, fmt.Sprintf("a successful run left a killed one's temp files: %v", left))
		}
	}
	return bad
}
