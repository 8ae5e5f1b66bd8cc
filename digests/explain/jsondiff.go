package explain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

// jsonDiff compares two JSON documents field by field and reports each
// differing leaf. skip(field) suppresses fields whose difference is
// explained at a lower level (descriptor digests, diff_ids). When the
// documents are equal as values but not as bytes (key order, whitespace,
// escaping, number spelling), one "encoding" difference gives the first
// differing byte.
func jsonDiff(level Level, path string, a, b []byte, skip func(string) bool, add func(Difference)) {
	if bytes.Equal(a, b) {
		return
	}
	va, erra := decodeJSON(a)
	vb, errb := decodeJSON(b)
	if erra != nil || errb != nil {
		add(Difference{Level: level, Path: path, Field: "json", A: errString(erra, "valid"), B: errString(errb, "valid")})
		return
	}
	n := 0
	walkJSON("", va, vb, func(field, x, y string) {
		field = orRoot(field)
		n++
		if skip != nil && skip(field) {
			return
		}
		add(Difference{Level: level, Path: path, Field: field, A: x, B: y})
	})
	if n == 0 {
		add(encodingDiff(level, path, a, b))
	}
}

func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

func errString(err error, ok string) string {
	if err == nil {
		return ok
	}
	return err.Error()
}

// walkJSON calls diff for every leaf path where x and y differ.
func walkJSON(field string, x, y any, diff func(field, a, b string)) {
	switch xv := x.(type) {
	case map[string]any:
		if yv, ok := y.(map[string]any); ok {
			walkObject(field, xv, yv, diff)
			return
		}
	case []any:
		if yv, ok := y.([]any); ok {
			walkArray(field, xv, yv, diff)
			return
		}
	}
	sx, sy := leaf(x), leaf(y)
	if sx != sy {
		diff(field, sx, sy)
	}
}

func walkObject(field string, x, y map[string]any, diff func(field, a, b string)) {
	keys := make([]string, 0, len(x)+len(y))
	for k := range x {
		keys = append(keys, k)
	}
	for k := range y {
		if _, ok := x[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := field + keyPath(k)
		xv, xok := x[k]
		yv, yok := y[k]
		switch {
		case !xok:
			absentObject(f, yv, true, diff)
		case !yok:
			absentObject(f, xv, false, diff)
		default:
			walkJSON(f, xv, yv, diff)
		}
	}
}

// absentObject reports a value present on one side only. A non-empty
// object is reported key by key, so that a new annotation is named.
func absentObject(field string, v any, inB bool, diff func(field, a, b string)) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		if inB {
			diff(field, Absent, leaf(v))
		} else {
			diff(field, leaf(v), Absent)
		}
		return
	}
	if inB {
		walkObject(field, map[string]any{}, m, diff)
	} else {
		walkObject(field, m, map[string]any{}, diff)
	}
}

func walkArray(field string, x, y []any, diff func(field, a, b string)) {
	for i := 0; i < len(x) || i < len(y); i++ {
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case i >= len(x):
			diff(f, Absent, leaf(y[i]))
		case i >= len(y):
			diff(f, leaf(x[i]), Absent)
		default:
			walkJSON(f, x[i], y[i], diff)
		}
	}
}

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// keyPath formats an object key as a path element: .key or ["odd.key"].
func keyPath(k string) string {
	if identRE.MatchString(k) {
		return "." + k
	}
	return fmt.Sprintf("[%q]", k)
}

func orRoot(f string) string {
	if f == "" {
		return "."
	}
	if f[0] == '.' {
		return f[1:]
	}
	return f
}

// leaf formats a JSON value compactly for display.
func leaf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// encodingDiff describes the first byte where two documents with equal
// values differ.
func encodingDiff(level Level, path string, a, b []byte) Difference {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return Difference{Level: level, Path: path, Field: fmt.Sprintf("encoding (byte %d)", i),
		A: contextAt(a, i), B: contextAt(b, i)}
}

func contextAt(b []byte, i int) string {
	lo, hi := max(0, i-20), min(len(b), i+20)
	return fmt.Sprintf("%q (%d bytes)", b[lo:hi], len(b))
}
