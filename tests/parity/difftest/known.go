package difftest

import (
	"regexp"
	"strconv"
	"strings"
)

// modeDiff matches one line of stevedore diff: a tar entry's mode.
var modeDiff = regexp.MustCompile(`^tar\s+\S.*\s+mode\s+a=([0-7]+)\s+b=([0-7]+)$`)

// onlySuidCleared reports whether every difference stevedore diff lists
// is a tar entry whose mode lost setuid/setgid bits and nothing else.
func onlySuidCleared(diff string) bool {
	n := 0
	for _, l := range strings.Split(diff, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "differ: ") {
			continue
		}
		m := modeDiff.FindStringSubmatch(l)
		if m == nil {
			return false
		}
		a, _ := strconv.ParseUint(m[1], 8, 32)
		b, _ := strconv.ParseUint(m[2], 8, 32)
		if a == b || a&^0o6000 != b {
			return false
		}
		n++
	}
	return n > 0
}
