package signature

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// PayloadType is the critical.type value of every simple-signing payload.
const PayloadType = "atomic container signature"

var digestRE = regexp.MustCompile(`^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$`)

// Payload is what a signature asserts: this manifest digest is the image
// named by this reference.
type Payload struct {
	// Reference is critical.identity.docker-reference, e.g.
	// "stagex/core-gcc:13".
	Reference string
	// Digest is critical.image.docker-manifest-digest, e.g. "sha256:<hex>".
	Digest string
}

// Marshal returns the payload exactly as StageX writes it (no whitespace,
// keys sorted, "optional":{}).
func (p Payload) Marshal() []byte {
	ref, _ := json.Marshal(p.Reference)
	dig, _ := json.Marshal(p.Digest)
	return []byte(`{"critical":{"identity":{"docker-reference":` + string(ref) +
		`},"image":{"docker-manifest-digest":` + string(dig) +
		`},"type":"` + PayloadType + `"},"optional":{}}`)
}

// ParsePayload parses a payload with containers/image's rules: the top level
// has exactly "critical" and "optional"; critical has exactly "type",
// "image" and "identity", each with exactly its one member; unknown, missing
// or duplicate keys are errors. Members of optional are ignored, except that
// "creator" must be a string and "timestamp" an integer.
func ParsePayload(b []byte) (Payload, error) {
	top, err := objectMembers(b, "payload")
	if err != nil {
		return Payload{}, err
	}
	if err := exactKeys(top, "payload", "critical", "optional"); err != nil {
		return Payload{}, err
	}
	if err := checkOptional(top["optional"]); err != nil {
		return Payload{}, err
	}
	crit, err := objectMembers(top["critical"], "critical")
	if err != nil {
		return Payload{}, err
	}
	if err := exactKeys(crit, "critical", "type", "image", "identity"); err != nil {
		return Payload{}, err
	}
	var typ string
	if err := json.Unmarshal(crit["type"], &typ); err != nil || typ != PayloadType {
		return Payload{}, fmt.Errorf("parse payload: critical.type is %s, want %q", crit["type"], PayloadType)
	}
	var p Payload
	if p.Digest, err = singleString(crit["image"], "critical.image", "docker-manifest-digest"); err != nil {
		return Payload{}, err
	}
	if !digestRE.MatchString(p.Digest) {
		return Payload{}, fmt.Errorf("parse payload: docker-manifest-digest %q is not a digest", p.Digest)
	}
	if p.Reference, err = singleString(crit["identity"], "critical.identity", "docker-reference"); err != nil {
		return Payload{}, err
	}
	if _, err := ParseReference(p.Reference); err != nil {
		return Payload{}, fmt.Errorf("parse payload: docker-reference: %w", err)
	}
	return p, nil
}

// objectMembers decodes a JSON object into its raw members, rejecting
// duplicate keys and anything after the object.
func objectMembers(b []byte, what string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, fmt.Errorf("parse payload: %s is not a JSON object", what)
	}
	out := map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("parse payload: %s: %w", what, err)
		}
		key, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("parse payload: %s.%s: %w", what, key, err)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("parse payload: %s has key %q twice", what, key)
		}
		out[key] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("parse payload: %s: %w", what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("parse payload: data after the %s object", what)
	}
	return out, nil
}

func exactKeys(m map[string]json.RawMessage, what string, keys ...string) error {
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			return fmt.Errorf("parse payload: %s lacks %q", what, k)
		}
	}
	if len(m) != len(keys) {
		var extra []string
		for k := range m {
			if !strings.Contains("\x00"+strings.Join(keys, "\x00")+"\x00", "\x00"+k+"\x00") {
				extra = append(extra, fmt.Sprintf("%q", k))
			}
		}
		return fmt.Errorf("parse payload: %s has unknown key(s) %s", what, strings.Join(extra, ", "))
	}
	return nil
}

func singleString(raw json.RawMessage, what, key string) (string, error) {
	m, err := objectMembers(raw, what)
	if err != nil {
		return "", err
	}
	if err := exactKeys(m, what, key); err != nil {
		return "", err
	}
	var s string
	if err := json.Unmarshal(m[key], &s); err != nil {
		return "", fmt.Errorf("parse payload: %s.%s is not a string", what, key)
	}
	return s, nil
}

func checkOptional(raw json.RawMessage) error {
	m, err := objectMembers(raw, "optional")
	if err != nil {
		return err
	}
	if c, ok := m["creator"]; ok {
		var s string
		if json.Unmarshal(c, &s) != nil {
			return fmt.Errorf("parse payload: optional.creator is not a string")
		}
	}
	if ts, ok := m["timestamp"]; ok {
		var n int64
		if json.Unmarshal(ts, &n) != nil {
			return fmt.Errorf("parse payload: optional.timestamp is not an integer")
		}
	}
	return nil
}
