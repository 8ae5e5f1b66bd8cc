package explain

import (
	"archive/tar"
	"fmt"
	"io"
	"sort"
)

// maxPending bounds the out-of-step entries kept (headers and hashes only).
const maxPending = 1 << 20

// pendingEntry is an entry seen in one stream and not yet in the other.
type pendingEntry struct {
	hdr *tar.Header
	sum contentSum
	pos int
}

// tarWalk compares two tar streams entry by entry. Entries with the same
// name at the same place are compared in lock step, contents included;
// entries out of step are matched by name later, by header and hash.
type tarWalk struct {
	path           string
	add            func(Difference)
	pendA, pendB   map[string]*pendingEntry
	namesA, namesB []string        // entry keys in stream order
	both           map[string]bool // keys seen in both streams
	seenA, seenB   map[string]int  // occurrences per name, for duplicates
}

func newTarWalk(path string, add func(Difference)) *tarWalk {
	return &tarWalk{path: path, add: add,
		pendA: map[string]*pendingEntry{}, pendB: map[string]*pendingEntry{},
		both: map[string]bool{}, seenA: map[string]int{}, seenB: map[string]int{}}
}

// compareTars walks two tar streams and reports their differences.
func compareTars(path string, ra, rb io.Reader, add func(Difference)) error {
	return newTarWalk(path, add).run(ra, rb)
}

func (w *tarWalk) run(ra, rb io.Reader) error {
	ta, tb := tar.NewReader(ra), tar.NewReader(rb)
	for {
		ha, err := next(ta, "a")
		if err != nil {
			return err
		}
		hb, err := next(tb, "b")
		if err != nil {
			return err
		}
		if ha == nil && hb == nil {
			break
		}
		if err := w.step(ha, hb, ta, tb); err != nil {
			return err
		}
		if len(w.pendA)+len(w.pendB) > maxPending {
			return fmt.Errorf("layer %s: more than %d entries out of step", w.path, maxPending)
		}
	}
	w.finish()
	return nil
}

func next(tr *tar.Reader, side string) (*tar.Header, error) {
	h, err := tr.Next()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read tar of image %s: %w", side, err)
	}
	return h, nil
}

func key(seen map[string]int, name string) string {
	seen[name]++
	if n := seen[name]; n > 1 {
		return fmt.Sprintf("%s#%d", name, n)
	}
	return name
}

func (w *tarWalk) step(ha, hb *tar.Header, ta, tb *tar.Reader) error {
	var ka, kb string
	if ha != nil {
		ka = key(w.seenA, ha.Name)
		w.namesA = append(w.namesA, ka)
	}
	if hb != nil {
		kb = key(w.seenB, hb.Name)
		w.namesB = append(w.namesB, kb)
	}
	if ha != nil && hb != nil && ka == kb {
		w.both[ka] = true
		return w.lockstep(ha, hb, ta, tb)
	}
	if ha != nil {
		s, err := hashContent(ta)
		if err != nil {
			return fmt.Errorf("read %s of image a: %w", ha.Name, err)
		}
		w.place(ka, &pendingEntry{hdr: ha, sum: s, pos: len(w.namesA) - 1}, w.pendA, w.pendB, false)
	}
	if hb != nil {
		s, err := hashContent(tb)
		if err != nil {
			return fmt.Errorf("read %s of image b: %w", hb.Name, err)
		}
		w.place(kb, &pendingEntry{hdr: hb, sum: s, pos: len(w.namesB) - 1}, w.pendB, w.pendA, true)
	}
	return nil
}

// lockstep compares two entries of the same name at the same place.
func (w *tarWalk) lockstep(ha, hb *tar.Header, ta, tb *tar.Reader) error {
	w.report(ha.Name, headerDiffs(ha, hb))
	sa, sb, fd, err := compareContent(ta, tb)
	if err != nil {
		return fmt.Errorf("read %s: %w", ha.Name, err)
	}
	if fd != nil {
		w.report(ha.Name, []fieldDiff{{"content", fd.describe(sa, fd.a), fd.describe(sb, fd.b)}})
	}
	return nil
}

// place matches an out-of-step entry with its pending twin or keeps it.
// swapped says e comes from image b.
func (w *tarWalk) place(k string, e *pendingEntry, mine, other map[string]*pendingEntry, swapped bool) {
	o, ok := other[k]
	if !ok {
		mine[k] = e
		return
	}
	delete(other, k)
	w.both[k] = true
	a, b := o, e
	if !swapped {
		a, b = e, o
	}
	w.report(a.hdr.Name, headerDiffs(a.hdr, b.hdr))
	if a.sum != b.sum {
		w.report(a.hdr.Name, []fieldDiff{{"content", a.sum.String(), b.sum.String()}})
	}
}

func (w *tarWalk) report(name string, ds []fieldDiff) {
	for _, d := range ds {
		w.add(Difference{Level: LevelTar, Path: w.path + ":" + name, Field: d.Field, A: d.A, B: d.B})
	}
}

// finish reports entries found in one stream only and the first place
// where the common entries come in a different order.
func (w *tarWalk) finish() {
	for _, e := range sortedPending(w.pendA) {
		w.report(e.hdr.Name, []fieldDiff{{"entry", entryKind(e.hdr), Absent}})
	}
	for _, e := range sortedPending(w.pendB) {
		w.report(e.hdr.Name, []fieldDiff{{"entry", Absent, entryKind(e.hdr)}})
	}
	ca, cb := w.common(w.namesA), w.common(w.namesB)
	for i := range ca {
		if ca[i] != cb[i] {
			w.report(ca[i], []fieldDiff{{"order",
				fmt.Sprintf("entry %d, before %q", index(w.namesA, ca[i]), cb[i]),
				fmt.Sprintf("entry %d, after %q", index(w.namesB, ca[i]), cb[i])}})
			return
		}
	}
}

func (w *tarWalk) common(names []string) []string {
	var out []string
	for _, n := range names {
		if w.both[n] {
			out = append(out, n)
		}
	}
	return out
}

func index(names []string, n string) int {
	for i, x := range names {
		if x == n {
			return i
		}
	}
	return -1
}

func sortedPending(m map[string]*pendingEntry) []*pendingEntry {
	out := make([]*pendingEntry, 0, len(m))
	for _, e := range m {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pos < out[j].pos })
	return out
}
