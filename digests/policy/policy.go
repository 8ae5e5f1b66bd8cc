package policy

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/stevedore-build/stevedore/digests/signature"
	"github.com/stevedore-build/stevedore/internal/atomicfile"
)

// Options describe the configuration to write.
type Options struct {
	// Keyring holds the keys that must all have signed an image.
	Keyring *signature.Keyring
	// Lookaside is the URL of the signatures folder (the parent of
	// <registry>/), e.g. file:///srv/stagex/signatures.
	Lookaside string
	// Scope is the registry namespace images are pulled from, e.g.
	// 127.0.0.1:5000/stagex. Empty means Registry.
	Scope string
	// Registry is the namespace the signatures name, e.g. stagex.
	Registry string
	// Dir receives policy.json, registries.d/stevedore.yaml and keys/.
	Dir string
}

// Result lists the files written.
type Result struct {
	Policy     string
	Registries string
	Keys       []string
}

// Write writes the configuration into o.Dir.
func Write(o Options) (Result, error) {
	scope, signed, err := namespaces(o)
	if err != nil {
		return Result{}, err
	}
	u, err := url.Parse(o.Lookaside)
	if err != nil || (u.Scheme != "file" && u.Scheme != "http" && u.Scheme != "https") {
		return Result{}, fmt.Errorf("lookaside %q: want a file://, http:// or https:// URL", o.Lookaside)
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return Result{}, fmt.Errorf("resolve %s: %w", o.Dir, err)
	}
	if o.Keyring == nil || len(o.Keyring.Entities) == 0 {
		return Result{}, fmt.Errorf("write policy: the keyring has no keys")
	}
	res := Result{Policy: filepath.Join(dir, "policy.json"), Registries: filepath.Join(dir, "registries.d", "stevedore.yaml")}
	var reqs []requirement
	for _, e := range o.Keyring.Entities {
		path := filepath.Join(dir, "keys", strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))+".gpg")
		var b bytes.Buffer
		if err := e.Serialize(&b); err != nil {
			return Result{}, fmt.Errorf("export key %X: %w", e.PrimaryKey.Fingerprint, err)
		}
		if err := atomicfile.WriteFile(path, b.Bytes(), 0o644); err != nil {
			return Result{}, err
		}
		res.Keys = append(res.Keys, path)
		reqs = append(reqs, newRequirement(path, scope, signed))
	}
	if err := atomicfile.WriteFile(res.Policy, policyJSON(scope, reqs), 0o644); err != nil {
		return Result{}, err
	}
	if err := atomicfile.WriteFile(res.Registries, registriesYAML(scope, o.Lookaside), 0o644); err != nil {
		return Result{}, err
	}
	return res, nil
}

// namespaces returns the normalized pull scope and signed namespace.
func namespaces(o Options) (scope, signed string, err error) {
	if signed, err = signature.NormalizeNamespace(o.Registry); err != nil {
		return "", "", err
	}
	if o.Scope == "" {
		return signed, signed, nil
	}
	scope, err = signature.NormalizeNamespace(o.Scope)
	return scope, signed, err
}

type requirement struct {
	Type           string          `json:"type"`
	KeyType        string          `json:"keyType"`
	KeyPath        string          `json:"keyPath"`
	SignedIdentity *signedIdentity `json:"signedIdentity,omitempty"`
}

type signedIdentity struct {
	Type         string `json:"type"`
	Prefix       string `json:"prefix"`
	SignedPrefix string `json:"signedPrefix"`
}

// newRequirement requires a signature by the key in path; when images are
// pulled from another namespace than the one signed, the identity is
// remapped (the mirror case).
func newRequirement(path, scope, signed string) requirement {
	r := requirement{Type: "signedBy", KeyType: "GPGKeys", KeyPath: path}
	if scope != signed {
		r.SignedIdentity = &signedIdentity{Type: "remapIdentity", Prefix: scope, SignedPrefix: signed}
	}
	return r
}

func policyJSON(scope string, reqs []requirement) []byte {
	doc := map[string]any{
		"default":    []any{map[string]string{"type": "reject"}},
		"transports": map[string]any{"docker": map[string]any{scope: reqs}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n')
}

func registriesYAML(scope, lookaside string) []byte {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	return []byte("# Written by stevedore policy: where Podman and Skopeo find signatures.\n" +
		"docker:\n  " + q(scope) + ":\n    lookaside: " + q(lookaside) + "\n")
}
