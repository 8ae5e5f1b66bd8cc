package recipegen

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Limits of a generated tree, from the issue: 1–6 targets, 1–4 stages
// per package, 1–12 instructions per stage.
const (
	maxPackages = 4 // besides busybox; subpackages add targets
	maxStages   = 4
	maxInstrs   = 12
	maxOps      = 8
)

// Generate returns the tree of seed. The same seed gives the same tree
// (and the same rendered bytes) on every run and platform: math/rand/v2's
// PCG is specified, and nothing iterates over a map.
func Generate(seed int64) *Tree {
	g := &gen{
		r:       rand.New(rand.NewPCG(uint64(seed), 0x5eed)),
		tree:    &Tree{Seed: seed},
		targets: map[string]*facts{},
	}
	g.addBusybox()
	g.devices = g.chance(0.25)
	n := 1 + g.r.IntN(maxPackages)
	for i := 1; i <= n; i++ {
		g.addPackage(i)
	}
	return g.tree
}

// gen is the generator's state: the random source and what each target
// built so far offers to later ones.
type gen struct {
	r       *rand.Rand
	tree    *Tree
	targets map[string]*facts
	order   []string // target names, generation order
	// versioned are packages with a literal version (version_from
	// candidates).
	versioned []*Package
	// devices allows mknod: a quarter of the trees, as a rootless build
	// cannot create device nodes and skips such trees.
	devices bool
}

// facts is what the generator knows about a stage's filesystem and
// config: enough to emit only instructions that can succeed.
type facts struct {
	shell   bool   // /bin/sh exists (descends from busybox)
	root    bool   // USER is root
	hasN    bool   // /n, the RUN namespace, exists
	paths   []path // paths that exist and that RUN never touches
	workdir string
}

type path struct {
	p   string
	dir bool
}

func (f *facts) clone() *facts {
	c := *f
	c.paths = append([]path(nil), f.paths...)
	return &c
}

// addBusybox adds core-busybox, built like the corner tree's.
func (g *gen) addBusybox() {
	p := &Package{
		Stage: "core", Name: "busybox", Busybox: true,
		Sources: []*Source{{Key: "busybox", File: "busybox", Kind: "busybox"}},
		Stages: []*Stage{
			{From: "scratch", Alias: "build", Instrs: []*Instr{
				{Text: "ADD --chmod=0755 fetch/busybox /bin/busybox"},
				{Text: `RUN ["/bin/busybox", "--install", "-s", "/bin"]`},
			}},
			{From: "scratch", Alias: "package", Instrs: []*Instr{{Text: "COPY --from=build / /"}}},
		},
	}
	g.tree.Packages = append(g.tree.Packages, p)
	g.export(p.Target(), &facts{shell: true, root: true, workdir: "/",
		paths: []path{{"/bin", true}, {"/bin/busybox", false}}})
}

func (g *gen) export(target string, f *facts) {
	g.targets[target] = f
	g.order = append(g.order, target)
}

// chance is true with probability p.
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// pick returns a random element of xs.
func pick[T any](g *gen, xs []T) T { return xs[g.r.IntN(len(xs))] }

// addPackage generates package number i.
func (g *gen) addPackage(i int) {
	p := &Package{Stage: "core", Name: fmt.Sprintf("pkg%d", i)}
	if g.chance(0.25) {
		p.Stage = "user"
	}
	switch {
	case len(g.versioned) > 0 && g.chance(0.2):
		p.VersionFrom = pick(g, g.versioned).Target()
	case g.chance(0.75):
		p.Version = fmt.Sprintf("%d.%d.%d", g.r.IntN(3), g.r.IntN(20), g.r.IntN(10))
	}
	g.addSources(p)
	g.addContext(p)
	if g.chance(0.5) {
		p.GlobalArgs = append(p.GlobalArgs, "ARG VERSION")
	}
	if g.chance(0.3) {
		p.GlobalArgs = append(p.GlobalArgs, "ARG GA="+pick(g, words))
	}
	if g.chance(0.15) {
		p.GlobalArgs = append(p.GlobalArgs, "ARG GB")
	}
	if g.chance(0.2) {
		p.Subpackages = []string{p.Name + "-dev"}
		if g.chance(0.5) {
			p.Subpackages = append(p.Subpackages, p.Name+"-doc")
		}
	}
	g.addStages(p)
	g.tree.Packages = append(g.tree.Packages, p)
	if p.Version != "" && len(p.Subpackages) == 0 {
		g.versioned = append(g.versioned, p)
	}
}

// addStages generates 1–4 stages; the last is the package's own, and
// each subpackage gets a stage package-<sub> before it.
func (g *gen) addStages(p *Package) {
	n := 1 + g.r.IntN(maxStages)
	// Destinations are numbered per package from 100*index, so that a
	// stage FROM a dependency never finds its own next /cN there.
	sg := &stageGen{gen: g, pkg: p, done: map[string]*facts{}, counter: 100 * len(g.tree.Packages)}
	for k := 0; k < n-1; k++ {
		sg.stage(fmt.Sprintf("s%d", k), false)
	}
	// A package's targets are exported once all its stages exist: StageX's
	// generator reads dependencies from the whole Containerfile, so a stage
	// naming a sibling subpackage (stagex/<stage>-<sub>) would make every
	// target of the package depend on itself.
	subs := make([]*facts, len(p.Subpackages))
	for i, sub := range p.Subpackages {
		subs[i] = sg.stage("package-"+sub, true)
	}
	alias := pick(g, []string{"", "package", "final"})
	f := sg.stage(alias, true)
	for i, sub := range p.Subpackages {
		g.export(p.Stage+"-"+sub, subs[i])
	}
	if len(p.Subpackages) == 0 {
		g.export(p.Target(), f)
	}
}

// words are file contents and ARG defaults.
var words = []string{"alpha", "beta", "gamma", "δέλτα", "0", "x y"}

// addSources gives p 0–3 sources of random kinds.
func (g *gen) addSources(p *Package) {
	kinds := []string{"plain", "tar", "tar.gz", "tar.bz2", "tar.xz", "tar.zst"}
	n := g.r.IntN(4)
	for k := 0; k < n; k++ {
		kind := pick(g, kinds)
		s := &Source{Key: fmt.Sprintf("src%d", k), Kind: kind}
		if kind == "plain" {
			s.File = fmt.Sprintf("%s-%d.txt", p.Name, k)
			s.Text = strings.Repeat(pick(g, words)+"\n", 1+g.r.IntN(3))
		} else {
			s.File = fmt.Sprintf("%s-%d.%s", p.Name, k, kind)
			s.Entries = g.archiveEntries()
		}
		p.Sources = append(p.Sources, s)
	}
}

// archiveEntries are the members of a generated tar: directories, files
// with special modes, owners and old or new times, a symlink, a hardlink,
// long and non-ASCII names.
func (g *gen) archiveEntries() []ArchiveEntry {
	modes := []int64{0o644, 0o755, 0o4755, 0o600, 0o1777}
	ids := []int{0, 1000, 65534}
	times := []int64{0, 1000, 1500, 2000000000}
	e := func(name string, typ byte, body string) ArchiveEntry {
		mode := pick(g, modes)
		if typ == 'd' {
			mode = pick(g, []int64{0o755, 0o700, 0o1777})
		}
		if typ == 's' || typ == 'h' {
			mode = 0o777
		}
		return ArchiveEntry{Name: name, Type: typ, Mode: mode, UID: pick(g, ids), GID: pick(g, ids), Mtime: pick(g, times), Body: body}
	}
	out := []ArchiveEntry{e("d/", 'd', ""), e("d/a.txt", 'f', pick(g, words)+"\n"), e("top", 'f', pick(g, words))}
	if g.chance(0.5) {
		out = append(out, e("d/sub/", 'd', ""))
	}
	if g.chance(0.5) {
		out = append(out, e("ln", 's', "d/a.txt"))
	}
	if g.chance(0.5) {
		out = append(out, e("hl", 'h', "top"))
	}
	if g.chance(0.3) {
		out = append(out, e("d/"+strings.Repeat("long", 30), 'f', "l\n"))
	}
	if g.chance(0.3) {
		out = append(out, e("ünï.txt", 'f', ""))
	}
	return out
}

// addContext gives p 0–3 files under ctx/ in its build context.
func (g *gen) addContext(p *Package) {
	names := []string{"ctx/f1.txt", "ctx/f2.sh", "ctx/sub/f3.txt"}
	for _, n := range names {
		if g.chance(0.5) {
			p.Context = append(p.Context, &ContextFile{
				Path: n, Mode: pick(g, []uint32{0o644, 0o755, 0o600, 0o4755}),
				Mtime: pick(g, []int64{1000, 1700000000}), Body: pick(g, words) + "\n",
			})
		}
	}
}
