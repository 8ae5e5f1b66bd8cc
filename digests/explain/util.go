package explain

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// stringsBuilder is a strings.Builder usable as an io.Writer value.
type stringsBuilder = strings.Builder

// quoteShort quotes s for display, cut to max bytes.
func quoteShort(s string, max int) string {
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return fmt.Sprintf("%q...", s[:cut])
	}
	return fmt.Sprintf("%q", s)
}

// shortHex formats the start of a byte slice as hex.
func shortHex(b []byte, max int) string {
	if len(b) > max {
		return fmt.Sprintf("% x ...", b[:max])
	}
	return fmt.Sprintf("% x", b)
}
