package recipegen

// Tree is one generated package tree.
type Tree struct {
	// Seed is what Generate was called with.
	Seed int64
	// Packages are in generation order: every package depends only on
	// earlier ones; Packages[0] is the busybox base.
	Packages []*Package
}

// Package is packages/<Stage>/<Name>/.
type Package struct {
	Stage, Name string
	// Version is package.version; VersionFrom is package.version_from (a
	// target name); at most one is set.
	Version, VersionFrom string
	// Subpackages is package.subpackages; each has a Containerfile stage
	// package-<sub>.
	Subpackages []string
	// Sources are the [sources.<key>] entries, files of the mirror.
	Sources []*Source
	// Context are files of the build context besides the recipe.
	Context []*ContextFile
	// GlobalArgs are ARG lines before the first FROM.
	GlobalArgs []string
	Stages     []*Stage
	// Busybox marks the base package, which the shrinker keeps.
	Busybox bool
}

// Target is the package's target name when it has no subpackages.
func (p *Package) Target() string { return p.Stage + "-" + p.Name }

// Source is one [sources.<key>] entry and the mirror file it names.
type Source struct {
	Key string
	// File is the mirror file name, also the name in the fetch context.
	File string
	// Kind is "busybox" (the host's /bin/busybox), "plain", "tar",
	// "tar.gz", "tar.bz2", "tar.xz" or "tar.zst".
	Kind string
	// Text is a plain source's content.
	Text string
	// Entries are an archive's members, in order.
	Entries []ArchiveEntry
}

// ArchiveEntry is one member of a generated tar.
type ArchiveEntry struct {
	Name string
	// Type is 'f' (file), 'd' (dir), 's' (symlink) or 'h' (hardlink).
	Type     byte
	Mode     int64
	UID, GID int
	Mtime    int64
	// Body is a file's content or a link's target.
	Body string
}

// ContextFile is a file of the main build context.
type ContextFile struct {
	Path  string
	Mode  uint32
	Mtime int64
	Body  string
}

// Stage is one FROM and its instructions.
type Stage struct {
	// From is what follows FROM: scratch, an earlier stage's alias or
	// stagex/<target>.
	From string
	// Alias is the AS name, or "".
	Alias  string
	Instrs []*Instr
}

// Instr is one instruction. RUN keeps its operations apart so the
// shrinker can drop them one by one; every other instruction is its text.
type Instr struct {
	// Text is the whole instruction (heredocs included) when Run is nil.
	Text string
	Run  *Run
}

// Run is a RUN instruction: Flags (e.g. "--network=none"), a Form and
// the shell operations it runs in order.
type Run struct {
	Flags string
	// Form is "shell", "exec" (["/bin/sh","-c",...]) or "heredoc".
	Form string
	Ops  []string
}

// Clone returns a deep copy of t, for the shrinker.
func (t *Tree) Clone() *Tree {
	c := &Tree{Seed: t.Seed}
	for _, p := range t.Packages {
		q := *p
		q.Subpackages = append([]string(nil), p.Subpackages...)
		q.Sources = append([]*Source(nil), p.Sources...)
		q.Context = append([]*ContextFile(nil), p.Context...)
		q.GlobalArgs = append([]string(nil), p.GlobalArgs...)
		q.Stages = nil
		for _, s := range p.Stages {
			r := *s
			r.Instrs = nil
			for _, in := range s.Instrs {
				j := *in
				if in.Run != nil {
					run := *in.Run
					run.Ops = append([]string(nil), in.Run.Ops...)
					j.Run = &run
				}
				r.Instrs = append(r.Instrs, &j)
			}
			q.Stages = append(q.Stages, &r)
		}
		c.Packages = append(c.Packages, &q)
	}
	return c
}

// Size counts packages, stages, instructions and RUN operations: the
// shrinker's measure of progress.
func (t *Tree) Size() (pkgs, stages, instrs, ops int) {
	for _, p := range t.Packages {
		pkgs++
		for _, s := range p.Stages {
			stages++
			for _, in := range s.Instrs {
				instrs++
				if in.Run != nil {
					ops += len(in.Run.Ops)
				}
			}
		}
	}
	return
}

// UsesDevices reports whether a RUN creates device nodes, which a
// rootless build cannot (a documented difference).
func (t *Tree) UsesDevices() bool {
	for _, p := range t.Packages {
		for _, s := range p.Stages {
			for _, in := range s.Instrs {
				if in.Run == nil {
					continue
				}
				for _, op := range in.Run.Ops {
					if containsWord(op, "mknod") {
						return true
					}
				}
			}
		}
	}
	return false
}
