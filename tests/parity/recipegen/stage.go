package recipegen

import (
	"fmt"
	"strings"
)

// stageGen generates the stages of one package.
type stageGen struct {
	*gen
	pkg  *Package
	done map[string]*facts // earlier stages by alias
	// aliases are the earlier stages' aliases, in order.
	aliases []string
	// counter numbers destinations so COPY/ADD results do not collide.
	counter int
}

// cur is the state of the stage being generated.
type cur struct {
	st   *Stage
	f    *facts
	args []string // ARGs in scope (usable in paths)
	envs []string // ENV keys set in this stage
}

// stage generates one stage named alias (may be empty); final stages
// copy from earlier ones more often.
func (sg *stageGen) stage(alias string, final bool) *facts {
	c := &cur{st: &Stage{Alias: alias}}
	sg.from(c, final)
	n := 1 + sg.r.IntN(maxInstrs)
	if final && len(sg.aliases) > 0 && sg.chance(0.7) {
		sg.copyFromStage(c)
		n--
	}
	for i := 0; i < n; i++ {
		sg.instr(c)
	}
	sg.pkg.Stages = append(sg.pkg.Stages, c.st)
	if alias != "" {
		sg.done[strings.ToLower(alias)] = c.f
		sg.aliases = append(sg.aliases, alias)
	}
	return c.f
}

// from picks the base: scratch, an earlier stage or a dependency.
func (sg *stageGen) from(c *cur, final bool) {
	type opt struct {
		from string
		f    *facts
		w    int
	}
	opts := []opt{{"scratch", &facts{root: true, workdir: "/"}, 2}}
	if final {
		opts[0].w = 4
	}
	for _, a := range sg.aliases {
		opts = append(opts, opt{a, sg.done[strings.ToLower(a)], 2})
	}
	for _, t := range sg.order {
		w := 1
		if t == "core-busybox" {
			w = 4
		}
		opts = append(opts, opt{"stagex/" + t, sg.targets[t], w})
	}
	total := 0
	for _, o := range opts {
		total += o.w
	}
	k := sg.r.IntN(total)
	for _, o := range opts {
		if k < o.w {
			c.st.From = o.from
			c.f = o.f.clone()
			return
		}
		k -= o.w
	}
}

// instr appends one random instruction that can succeed in c.
func (sg *stageGen) instr(c *cur) {
	type choice struct {
		w  int
		fn func(*cur)
	}
	var cs []choice
	add := func(ok bool, w int, fn func(*cur)) {
		if ok {
			cs = append(cs, choice{w, fn})
		}
	}
	add(c.f.shell, 8, sg.run)
	add(len(sg.pkg.Context) > 0, 2, sg.copyContext)
	add(true, 1, sg.copyHeredoc)
	add(len(sg.aliases) > 0, 2, sg.copyFromStage)
	add(true, 1, sg.copyFromDep)
	add(len(sg.pkg.Sources) > 0, 1, sg.copyFromFetch)
	add(len(sg.pkg.Sources) > 0, 3, sg.addSource)
	add(len(sg.pkg.Context) > 0, 1, sg.addContextFile)
	add(true, 1, sg.workdir)
	add(true, 1, sg.user)
	add(true, 1, sg.env)
	add(true, 1, sg.arg)
	add(c.f.shell, 1, sg.shell)
	add(true, 1, sg.entrypoint)
	add(true, 1, sg.label)
	total := 0
	for _, ch := range cs {
		total += ch.w
	}
	k := sg.r.IntN(total)
	for _, ch := range cs {
		if k < ch.w {
			ch.fn(c)
			return
		}
		k -= ch.w
	}
}

func (c *cur) emit(format string, a ...any) {
	c.st.Instrs = append(c.st.Instrs, &Instr{Text: fmt.Sprintf(format, a...)})
}

// hasArg reports whether ARG name is in scope in c.
func (c *cur) hasArg(name string) bool {
	for _, a := range c.args {
		if a == name {
			return true
		}
	}
	return false
}

// srcKind says what a COPY/ADD source is, which decides what a
// destination without a trailing slash becomes.
type srcKind int

const (
	fileSrc srcKind = iota
	dirSrc
	glob
)

// dest returns a fresh destination for COPY/ADD and records it as an
// existing path when it is literal. file says the source is one file, so
// a destination without a trailing slash names the file itself.
func (sg *stageGen) dest(c *cur, kind srcKind) string {
	sg.counter++
	k := sg.counter
	type d struct {
		p      string
		record bool
	}
	if kind == glob {
		// A wildcard may match one file: only a trailing slash makes
		// the destination a directory for sure.
		p := fmt.Sprintf("/c%d/", k)
		c.f.paths = append(c.f.paths, path{p[:len(p)-1], true})
		return p
	}
	file := kind == fileSrc
	if sg.chance(0.2) {
		// Onto the RUN namespace: replace a file, merge into a directory,
		// or write through a symlink (not recorded: RUN changes these).
		if file && sg.chance(0.5) {
			if f := pick(sg.gen, opFiles); !strings.Contains(f, " ") {
				return f
			}
			return "/n/a"
		}
		if sg.chance(0.2) {
			// Through a symlink: fails in both builders unless it
			// points to a directory.
			return pick(sg.gen, opLinks) + "/"
		}
		return pick(sg.gen, append([]string{"/n/"}, opDirs...)) + "/"
	}
	opts := []d{{fmt.Sprintf("/c%d/", k), true}, {fmt.Sprintf("/c%d", k), true}, {fmt.Sprintf("/n/c%d/", k), true}}
	if c.hasArg("VERSION") {
		opts = append(opts, d{fmt.Sprintf("/opt/app-${VERSION}/c%d/", k), false})
	}
	if c.hasArg("SA") {
		opts = append(opts, d{fmt.Sprintf("/c%d-$SA/", k), false})
	}
	opts = append(opts, d{fmt.Sprintf("rel%d/", k), false})
	o := pick(sg.gen, opts)
	if o.record {
		p := strings.TrimSuffix(o.p, "/")
		isDir := strings.HasSuffix(o.p, "/") || !file
		c.f.paths = append(c.f.paths, path{p, isDir})
		if strings.HasPrefix(p, "/n/") {
			c.f.hasN = true
			c.f.paths = append(c.f.paths, path{"/n", true})
		}
	}
	return o.p
}

func (sg *stageGen) chmodFlag(fileOnly bool) string {
	if !sg.chance(0.3) {
		return ""
	}
	modes := []string{"0755", "644", "4755", "0600", "2750"}
	if !fileOnly {
		modes = append(modes, "1777")
	}
	return "--chmod=" + pick(sg.gen, modes) + " "
}

func (sg *stageGen) chownFlag() string {
	if !sg.chance(0.25) {
		return ""
	}
	return "--chown=" + pick(sg.gen, []string{"1000:1000", "65534", "0:100", "1000"}) + " "
}

// copyContext copies files of the main context: a file, the directory
// (with or without trailing slash) or a wildcard.
func (sg *stageGen) copyContext(c *cur) {
	f := pick(sg.gen, sg.pkg.Context)
	src, kind := f.Path, fileSrc
	switch sg.r.IntN(5) {
	case 1:
		src, kind = "ctx/", dirSrc
	case 2:
		src, kind = "ctx", dirSrc
	case 3:
		src, kind = "ctx/*", glob
	case 4:
		// Several sources: the destination must be a directory.
		src, kind = f.Path+" "+pick(sg.gen, sg.pkg.Context).Path, glob
	}
	c.emit("COPY %s%s%s %s", sg.chmodFlag(false), sg.chownFlag(), src, sg.dest(c, kind))
}

// copyHeredoc writes a heredoc file, expanded or not.
func (sg *stageGen) copyHeredoc(c *cur) {
	body := pick(sg.gen, words)
	if len(c.args) > 0 && sg.chance(0.5) {
		body += " ${" + pick(sg.gen, c.args) + "}"
	}
	delim := "EOF"
	if sg.chance(0.3) {
		delim = `"EOF"`
	}
	c.emit("COPY %s%s<<%s %s\n%s\nEOF", sg.chmodFlag(true), sg.chownFlag(), delim, sg.dest(c, fileSrc), body)
}

// srcPath picks a path of f that COPY --from can read: the root, /n, a
// recorded path, or a wildcard that matches one.
func (sg *stageGen) srcPath(f *facts) (string, srcKind) {
	var opts []path
	// Copying busybox (2 MB) makes every builder compress it once more:
	// rarely, to keep trees cheap.
	big := f.shell && !sg.chance(0.1)
	if !big {
		opts = append(opts, path{"/", true})
	}
	if f.hasN {
		opts = append(opts, path{"/n/", true}, path{"/n", true})
	}
	for _, p := range f.paths {
		if !big || !strings.HasPrefix(p.p, "/bin/busybox") {
			opts = append(opts, p)
		}
	}
	p := pick(sg.gen, opts)
	switch {
	case f.hasN && sg.chance(0.02):
		// A symlink source is followed; it may dangle (both fail).
		return pick(sg.gen, opLinks), glob
	case len(strings.TrimSuffix(p.p, "/")) > 2 && sg.chance(0.25):
		// The last character replaced: the pattern matches p at least
		// (a pattern matching nothing copies nothing).
		t := strings.TrimSuffix(p.p, "/")
		return t[:len(t)-1] + pick(sg.gen, []string{"*", "?"}), glob
	case !p.dir:
		return p.p, fileSrc
	case p.p != "/" && !strings.HasSuffix(p.p, "/") && sg.chance(0.4):
		return p.p + "/", dirSrc
	}
	return p.p, dirSrc
}

// copyFromStage copies from an earlier stage of the recipe.
func (sg *stageGen) copyFromStage(c *cur) {
	a := pick(sg.gen, sg.aliases)
	src, kind := sg.srcPath(sg.done[strings.ToLower(a)])
	c.emit("COPY %s%s--from=%s %s %s", sg.chmodFlag(false), sg.chownFlag(), a, src, sg.dest(c, kind))
}

// copyFromDep copies from a dependency image.
func (sg *stageGen) copyFromDep(c *cur) {
	t := pick(sg.gen, sg.order)
	src, kind := sg.srcPath(sg.targets[t])
	// --from first: StageX's generator only sees a dependency on a line
	// that starts with "COPY --from=stagex/".
	chown := sg.chownFlag()
	c.emit("COPY --from=stagex/%s %s%s %s", t, chown, src, sg.dest(c, kind))
}

// copyFromFetch copies from the fetch named context without extracting.
func (sg *stageGen) copyFromFetch(c *cur) {
	s := pick(sg.gen, sg.pkg.Sources)
	src, kind := s.File, fileSrc
	if sg.chance(0.25) {
		src, kind = ".", dirSrc
	}
	c.emit("COPY %s--from=fetch %s %s", sg.chmodFlag(false), src, sg.dest(c, kind))
}

// addSource ADDs a fetched source: archives are extracted (into the
// destination directory), plain files copied.
func (sg *stageGen) addSource(c *cur) {
	s := pick(sg.gen, sg.pkg.Sources)
	if s.Kind == "plain" {
		c.emit("ADD %s%sfetch/%s %s", sg.chmodFlag(true), sg.chownFlag(), s.File, sg.dest(c, fileSrc))
		return
	}
	c.emit("ADD fetch/%s %s", s.File, sg.dest(c, dirSrc))
}

// addContextFile ADDs a plain context file.
func (sg *stageGen) addContextFile(c *cur) {
	f := pick(sg.gen, sg.pkg.Context)
	c.emit("ADD %s%s %s", sg.chmodFlag(true), f.Path, sg.dest(c, fileSrc))
}

func (sg *stageGen) workdir(c *cur) {
	sg.counter++
	opts := []string{fmt.Sprintf("/w%d", sg.counter), fmt.Sprintf("/w%d/sub", sg.counter), "/n/d", fmt.Sprintf("rel%d", sg.counter)}
	if c.f.hasN && sg.chance(0.2) {
		opts = []string{"/n/l/w"} // through a symlink, if it is one
	}
	if c.hasArg("VERSION") {
		opts = append(opts, "/opt/${VERSION}")
	}
	w := pick(sg.gen, opts)
	c.emit("WORKDIR %s", w)
	if strings.HasPrefix(w, "/w") {
		c.f.paths = append(c.f.paths, path{w, true})
	}
}

func (sg *stageGen) user(c *cur) {
	u := pick(sg.gen, []string{"1000", "1000:1000", "65534:65534", "0", "0:0"})
	c.emit("USER %s", u)
	c.f.root = strings.HasPrefix(u, "0")
}

func (sg *stageGen) env(c *cur) {
	sg.counter++
	k := fmt.Sprintf("E%d", sg.counter)
	v := pick(sg.gen, []string{"plain", `"two words"`, "/opt/${VERSION:-none}", "${GA}-x", "ünï"})
	c.emit("ENV %s=%s", k, v)
	c.envs = append(c.envs, k)
}

func (sg *stageGen) arg(c *cur) {
	switch sg.r.IntN(4) {
	case 0:
		c.emit("ARG VERSION")
		c.args = append(c.args, "VERSION")
	case 1:
		c.emit("ARG SA=%s", strings.ReplaceAll(pick(sg.gen, words), " ", "-"))
		c.args = append(c.args, "SA")
	case 2:
		c.emit("ARG GA")
		c.args = append(c.args, "GA")
	default:
		c.emit("ARG SB")
		c.args = append(c.args, "SB")
	}
}

func (sg *stageGen) shell(c *cur) {
	c.emit("SHELL %s", pick(sg.gen, []string{`["/bin/sh", "-ec"]`, `["/bin/busybox", "ash", "-c"]`, `["/bin/sh", "-c"]`}))
}

func (sg *stageGen) entrypoint(c *cur) {
	c.emit("%s", pick(sg.gen, []string{
		`ENTRYPOINT ["/bin/sh", "-c"]`, "ENTRYPOINT /bin/busybox sh", `CMD ["echo", "hi"]`, "CMD echo hi there", `CMD []`,
	}))
}

func (sg *stageGen) label(c *cur) {
	sg.counter++
	v := pick(sg.gen, []string{"v", `"with space"`, "${VERSION}", "ünï"})
	c.emit("LABEL org.example.l%d=%s", sg.counter, v)
}
