package recipegen

import (
	"fmt"
	pathpkg "path"
	"strings"
)

// The RUN namespace: a few names under /n that operations pick from, so
// that they collide (overwrite, delete, rename onto each other).
var (
	opFiles = []string{"/n/a", "/n/b", "/n/d/c", "/n/d/e/f", "/n/g/h", "/n/ünï çødé",
		"/n/" + strings.Repeat("L", 120)}
	opDirs  = []string{"/n/d", "/n/d/e", "/n/g", "/n/" + strings.Repeat("D", 70) + "/" + strings.Repeat("E", 40)}
	opLinks = []string{"/n/l", "/n/d/l2"}
	opTimes = []string{"@0", "@1000", "@1262304000", `"2030-01-01 00:00:00"`}
)

// run appends a RUN of 1–8 operations (after mkdir -p /n) in one of the
// three forms, sometimes with --network=none.
func (sg *stageGen) run(c *cur) {
	r := &Run{Form: pick(sg.gen, []string{"shell", "shell", "exec", "heredoc"})}
	if sg.chance(0.3) {
		r.Flags = "--network=none"
	}
	r.Ops = append(r.Ops, "mkdir -p /n")
	n := 1 + sg.r.IntN(maxOps)
	for i := 0; i < n; i++ {
		r.Ops = append(r.Ops, sg.op(c))
	}
	c.st.Instrs = append(c.st.Instrs, &Instr{Run: r})
	if c.f.root {
		c.f.hasN = true
	}
}

// q single-quotes a path for the shell (no name holds a quote).
func q(p string) string { return "'" + p + "'" }

func (sg *stageGen) anyPath() string {
	switch sg.r.IntN(5) {
	case 0, 1, 2:
		return pick(sg.gen, opFiles)
	case 3:
		return pick(sg.gen, opDirs)
	}
	return pick(sg.gen, opLinks)
}

// writable guards an operation that opens p: only a regular file or a
// missing one, never a fifo (opening it would block the build forever)
// or a device node.
func writable(p string) string { return fmt.Sprintf("{ [ -f %s ] || [ ! -e %s ]; } && ", p, p) }

// op returns one file operation as a shell command.
func (sg *stageGen) op(c *cur) string {
	f, f2 := q(pick(sg.gen, opFiles)), q(pick(sg.gen, opFiles))
	wf := writable(f)
	d := q(pick(sg.gen, opDirs))
	a := q(sg.anyPath())
	w := q(pick(sg.gen, words))
	switch sg.r.IntN(26) {
	case 0, 1:
		return fmt.Sprintf("mkdir -p \"$(dirname %s)\" && %secho %s > %s", f, wf, w, f)
	case 2:
		return fmt.Sprintf("%secho %s >> %s", wf, w, f)
	case 3:
		// Not ":": a redirection error of a special built-in exits the shell.
		return fmt.Sprintf("%strue > %s", wf, f)
	case 4:
		return fmt.Sprintf("rm -f %s", a)
	case 5:
		b := sg.anyPath()
		// mv into a directory lands on b/base(a).
		return fmt.Sprintf("mv %s %s && { if [ -d %s ] && [ ! -L %s ]; then %s; else %s; fi; }",
			a, q(b), q(b), q(b), unclock(q(b+"/"+pathpkg.Base(unq(a)))), unclock(q(b)))
	case 6:
		return fmt.Sprintf("rm -rf %s && mkdir -p %s && echo %s > %s/r", d, d, w, d)
	case 7:
		return fmt.Sprintf("mkdir -p %s", d)
	case 8:
		return fmt.Sprintf("rmdir %s", d)
	case 9:
		return fmt.Sprintf("chmod %s %s", pick(sg.gen, []string{"4755", "2755", "1777", "0600", "0644", "0755", "0444", "0700", "6711"}), a)
	case 10:
		return fmt.Sprintf("chown %s %s", pick(sg.gen, []string{"1000:1000", "65534:65534", "0:100", "1000"}), a)
	case 11:
		return fmt.Sprintf("chown -h %s %s", pick(sg.gen, []string{"1000:1000", "65534:0"}), q(pick(sg.gen, opLinks)))
	case 12, 13:
		return fmt.Sprintf("ln %s %s", f, f2)
	case 14:
		if sg.chance(0.3) {
			// A hardlink to a file of the busybox layer.
			return "ln /bin/busybox /n/bb"
		}
		return fmt.Sprintf("ln -sfn %s %s", pick(sg.gen, []string{"a", "d", "../n/b", "e/f"}), q(pick(sg.gen, opLinks)))
	case 15:
		return fmt.Sprintf("ln -sfn %s %s", pick(sg.gen, []string{"/n/d", "/n/a", "/nowhere", "/n/d/e/"}), q(pick(sg.gen, opLinks)))
	case 16:
		return fmt.Sprintf("mkfifo %s", f)
	case 17:
		if sg.devices && sg.chance(0.5) {
			return fmt.Sprintf("mknod %s %s", f, pick(sg.gen, []string{"c 1 3", "b 7 0", "c 1 5"}))
		}
		return fmt.Sprintf("touch %s", f)
	case 18, 19:
		return fmt.Sprintf("touch -d %s %s", pick(sg.gen, opTimes), a)
	case 20:
		return fmt.Sprintf("touch -h -d %s %s", pick(sg.gen, opTimes), q(pick(sg.gen, opLinks)))
	case 21:
		return fmt.Sprintf("%struncate -s %d %s", wf, pick(sg.gen, []int{0, 4096, 100000}), f)
	case 22:
		return fmt.Sprintf("%sprintf '\\000\\001%%s' x > %s", wf, f)
	case 23:
		return fmt.Sprintf("%sseq 1 %d > %s", wf, pick(sg.gen, []int{3, 500}), f)
	case 24:
		if len(c.envs)+len(c.args) > 0 {
			vars := append(append([]string(nil), c.envs...), c.args...)
			return fmt.Sprintf("%secho \"$%s\" > %s", wf, pick(sg.gen, vars), f)
		}
		return fmt.Sprintf("[ -f %s ] && %scp -p %s %s && %s", f, writable(f2), f, f2, unclock(f2))
	}
	return fmt.Sprintf("mv %s %s/ && %s", f, d, unclock(q(unq(d)+"/"+pathpkg.Base(unq(f)))))
}

// unclock gives the entry at the quoted path p a fresh mtime when its
// mtime came from the clock (a nonzero nanosecond part) rather than from
// touch -d. mv and cp -p carry an entry's mtime to another path; when the
// entry they replace was made in the same clock tick, with the same mode,
// owner and size, BuildKit's differ (and stevedore, which ports it) leaves
// the new entry out of the layer, so whether it is in the layer depends
// on timing, in both builders (seed 5523). A fresh mtime keeps the
// campaign to recipes that BuildKit itself builds reproducibly; times set
// by touch -d are whole seconds and stay, so equal times on purpose are
// still generated.
func unclock(p string) string {
	return fmt.Sprintf(`case "$(stat -c %%y %s)" in *.000000000*) ;; *) touch -c -h %s;; esac`, p, p)
}

// unq removes q's quotes.
func unq(p string) string { return strings.TrimSuffix(strings.TrimPrefix(p, "'"), "'") }

// containsWord reports whether the shell text s runs command w.
func containsWord(s, w string) bool {
	for _, f := range strings.Fields(s) {
		if f == w {
			return true
		}
	}
	return false
}
