package explain

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
)

// Level names the document or stream a difference is in.
type Level string

// The levels of an image, outermost first.
const (
	LevelIndexJSON Level = "index.json"
	LevelIndex     Level = "index"
	LevelManifest  Level = "manifest"
	LevelConfig    Level = "config"
	LevelLayer     Level = "layer"
	LevelTar       Level = "tar"
	LevelGzip      Level = "gzip"
)

// Difference is one way in which image A differs from image B.
type Difference struct {
	// Level is the document or stream the difference is in.
	Level Level `json:"level"`
	// Path locates the document by its descriptor chain, e.g.
	// "manifests[0]/manifests[0]/layers[1]", and for a tar entry appends
	// ":" and the entry name.
	Path string `json:"path"`
	// Field is what differs: a JSON field path such as
	// `history[3].created_by`, or an entry field such as "mode" or
	// "xattr.security.capability".
	Field string `json:"field"`
	// A and B are the two values, formatted for people; "<absent>" when
	// one side lacks the field.
	A string `json:"a"`
	B string `json:"b"`
}

// Absent is the value of a Difference side that lacks the field.
const Absent = "<absent>"

// Result is the outcome of a comparison.
type Result struct {
	// A and B name the compared images.
	A string `json:"a"`
	B string `json:"b"`
	// Identical is true when no difference was found.
	Identical bool `json:"identical"`
	// Differences lists what differs, outermost level first.
	Differences []Difference `json:"differences"`
	// Truncated is true when more differences existed than were kept.
	Truncated bool `json:"truncated,omitempty"`
}

// WriteText writes r for people: one line per difference.
func (r *Result) WriteText(w io.Writer) error {
	if r.Identical {
		_, err := fmt.Fprintf(w, "identical: %s and %s\n", r.A, r.B)
		return err
	}
	fmt.Fprintf(w, "differ: a=%s b=%s (%d difference(s))\n", r.A, r.B, len(r.Differences))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, d := range r.Differences {
		fmt.Fprintf(tw, "%s\t%s\t%s\ta=%s\tb=%s\n", d.Level, d.Path, d.Field, d.A, d.B)
	}
	if r.Truncated {
		fmt.Fprintln(tw, "...\t(more differences not shown)")
	}
	return tw.Flush()
}

// WriteJSON writes r as one indented JSON document.
func (r *Result) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// String returns the text form of r.
func (r *Result) String() string {
	var b stringsBuilder
	_ = r.WriteText(&b)
	return b.String()
}
