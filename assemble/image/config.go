package image

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// ConfigBlob returns the config blob BuildKit's exporter writes for img, the
// frontend's final image config, over layers with the given diffIDs (base
// layers first). base is the unmodified config of the image the final
// stage is FROM, or nil for FROM scratch.
//
// The steps are BuildKit's, in order, on the same JSON round trips, because
// the bytes depend on them: the frontend marshals img (dockerui/build.go);
// the exporter parses the history back, reconciles it with the layers
// (normalizeLayersAndHistory), clamps times to the epoch except for leading
// entries equal to the base's, and re-marshals the config as a
// map[string]json.RawMessage (patchImageConfig), which sorts top-level keys
// and HTML-escapes everything.
func ConfigBlob(img dockerspec.DockerOCIImage, base *dockerspec.DockerOCIImage, diffIDs []digest.Digest, epoch time.Time) ([]byte, error) {
	config, err := json.Marshal(img)
	if err != nil {
		return nil, fmt.Errorf("marshal image config: %w", err)
	}
	baseImg, err := roundTrip(base)
	if err != nil {
		return nil, err
	}
	history, err := parseHistoryFromConfig(config)
	if err != nil {
		return nil, err
	}
	history, err = normalizeHistory(history, len(diffIDs), epoch)
	if err != nil {
		return nil, err
	}
	epoch = epoch.UTC()
	return patchImageConfig(config, diffIDs, history, &epoch, baseImg)
}

// roundTrip marshals and parses the base config as the frontend and the
// exporter do, so that history entries compare with reflect.DeepEqual
// exactly as in BuildKit (time.Time values included).
func roundTrip(base *dockerspec.DockerOCIImage) (*dockerspec.DockerOCIImage, error) {
	if base == nil {
		return nil, nil
	}
	dt, err := json.Marshal(base)
	if err != nil {
		return nil, fmt.Errorf("marshal base image config: %w", err)
	}
	var out dockerspec.DockerOCIImage
	if err := json.Unmarshal(dt, &out); err != nil {
		return nil, fmt.Errorf("parse base image config: %w", err)
	}
	return &out, nil
}

func parseHistoryFromConfig(dt []byte) ([]ocispec.History, error) {
	var config struct {
		History []ocispec.History
	}
	if err := json.Unmarshal(dt, &config); err != nil {
		return nil, fmt.Errorf("parse history from image config: %w", err)
	}
	return config.History, nil
}

// normalizeHistory is the history half of normalizeLayersAndHistory for
// layers layers. Where BuildKit would invent entries from its cache
// metadata (more layers than non-empty history entries), it is an error:
// those strings and times are not reproducible. Where BuildKit would take a
// missing time from the layer's creation in its cache, the epoch stands in:
// the exporter clamps that time to the epoch anyway.
func normalizeHistory(history []ocispec.History, layers int, epoch time.Time) ([]ocispec.History, error) {
	historyLayers := 0
	for _, h := range history {
		if !h.EmptyLayer {
			historyLayers++
		}
	}
	if historyLayers > layers {
		history = emptyFromBottom(history, layers)
	}
	if layers > historyLayers {
		return nil, fmt.Errorf("image has %d layers but its history accounts for %d: every layer needs a non-empty history entry", layers, historyLayers)
	}
	for i, h := range history {
		if !h.EmptyLayer && h.Created == nil {
			t := epoch.UTC()
			history[i].Created = &t
		}
	}
	fillCreated(history)
	return history, nil
}

// emptyFromBottom marks history entries as empty once layers non-empty ones
// have been seen, as BuildKit does for "unaccounted layers".
func emptyFromBottom(history []ocispec.History, layers int) []ocispec.History {
	out := make([]ocispec.History, 0, len(history))
	l := 0
	for _, h := range history {
		if l >= layers {
			h.EmptyLayer = true
		}
		if !h.EmptyLayer {
			l++
		}
		out = append(out, h)
	}
	return out
}

// fillCreated gives entries without a time the first new layer's time or
// the previous entry's, verbatim from normalizeLayersAndHistory.
func fillCreated(history []ocispec.History) {
	var created *time.Time
	var noCreatedTime bool
	for _, h := range history {
		if h.Created != nil {
			created = h.Created
			if noCreatedTime {
				break
			}
		} else {
			noCreatedTime = true
		}
	}
	noCreatedTime = false
	for i, h := range history {
		if h.Created != nil {
			if noCreatedTime {
				created = h.Created
			}
		} else {
			noCreatedTime = true
			h.Created = created
		}
		history[i] = h
	}
}

// patchImageConfig is writer.go: patchImageConfig without inline cache.
func patchImageConfig(dt []byte, diffIDs []digest.Digest, history []ocispec.History, epoch *time.Time, baseImg *dockerspec.DockerOCIImage) ([]byte, error) {
	var img ocispec.Image
	if err := json.Unmarshal(dt, &img); err != nil {
		return nil, fmt.Errorf("invalid image config for export: %w", err)
	}
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(dt, &m); err != nil {
		return nil, fmt.Errorf("parse image config for patch: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("invalid null image config for export")
	}
	if img.OS == "" {
		return nil, fmt.Errorf("invalid image config for export: missing os")
	}
	if img.Architecture == "" {
		return nil, fmt.Errorf("invalid image config for export: missing architecture")
	}
	rootFS := ocispec.RootFS{Type: "layers", DiffIDs: diffIDs}
	var err error
	if m["rootfs"], err = json.Marshal(rootFS); err != nil {
		return nil, fmt.Errorf("marshal rootfs: %w", err)
	}
	if epoch != nil {
		clampHistory(history, baseImg, *epoch)
	}
	if m["history"], err = json.Marshal(history); err != nil {
		return nil, fmt.Errorf("marshal history: %w", err)
	}
	if err := patchCreated(m, history, epoch); err != nil {
		return nil, err
	}
	dt, err = json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshal config after patch: %w", err)
	}
	return dt, nil
}

// clampHistory sets every history time after the epoch (or missing) to the
// epoch, except leading entries equal to the base image's: BuildKit keeps
// those (moby/buildkit#4614).
func clampHistory(history []ocispec.History, baseImg *dockerspec.DockerOCIImage, epoch time.Time) {
	divergedFromBase := false
	for i, h := range history {
		if !divergedFromBase && baseImg != nil && i < len(baseImg.History) && reflect.DeepEqual(h, baseImg.History[i]) {
			continue
		}
		divergedFromBase = true
		if h.Created == nil || h.Created.After(epoch) {
			history[i].Created = &epoch
		}
	}
}

// patchCreated clamps an existing top-level "created" to the epoch, or sets
// it to the last history time when the frontend left it out (it always does
// for FROM stages: convert.go clears img.Created).
func patchCreated(m map[string]json.RawMessage, history []ocispec.History, epoch *time.Time) error {
	if v, ok := m["created"]; ok && epoch != nil {
		var tm time.Time
		if err := json.Unmarshal(v, &tm); err != nil {
			return fmt.Errorf("parse creation time %q: %w", v, err)
		}
		if tm.After(*epoch) {
			dt, err := json.Marshal(&epoch)
			if err != nil {
				return fmt.Errorf("marshal creation time: %w", err)
			}
			m["created"] = dt
		}
	}
	if _, ok := m["created"]; !ok {
		var tm *time.Time
		for _, h := range history {
			if h.Created != nil {
				tm = h.Created
			}
		}
		dt, err := json.Marshal(&tm)
		if err != nil {
			return fmt.Errorf("marshal creation time: %w", err)
		}
		m["created"] = dt
	}
	return nil
}
