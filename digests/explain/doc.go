// Package explain compares two images and says why they differ, at every
// level: index.json, image index, manifest and config (JSON field by field,
// history entry by entry, then byte encoding), the layer list, and inside a
// differing layer tar entry by tar entry (name, type, mode, owner, size,
// times, link target, xattrs, PAX records, content, order), down to the gzip
// stream when the tars are equal.
//
// Layers are streamed: both tar streams are walked in lock step, and entries
// that are out of step are kept as header plus content hash only, never as
// content. A difference that is only the consequence of a lower one (a
// manifest's layer digest when the layer differs, the config's diff_id of that
// layer) is not reported; the lower difference is.
package explain
