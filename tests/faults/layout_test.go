package faults

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing/fstest"
)

// descriptor is the part of an OCI descriptor the checker follows.
type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// document is an index or a manifest: whichever fields it has.
type document struct {
	Manifests []descriptor `json:"manifests"`
	Config    *descriptor  `json:"config"`
	Layers    []descriptor `json:"layers"`
}

// checkLayout verifies a complete OCI layout in fsys: oci-layout, an
// index.json whose every descriptor (recursively through indexes and
// manifests) names a present blob of that size and digest, and every file
// under blobs/sha256 hashing to its name. It returns the manifest digest
// of the first image (index.json -> manifests[0] -> (index ->)
// manifests[0]), which is what digests/*.txt record.
func checkLayout(fsys fs.FS) (string, error) {
	var marker struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := readJSON(fsys, "oci-layout", &marker); err != nil || marker.Version == "" {
		return "", fmt.Errorf("oci-layout: %v (version %q)", err, marker.Version)
	}
	var top document
	if err := readJSON(fsys, "index.json", &top); err != nil {
		return "", fmt.Errorf("index.json: %w", err)
	}
	if len(top.Manifests) == 0 {
		return "", errors.New("index.json: no manifests")
	}
	blobs, err := fs.ReadDir(fsys, "blobs/sha256")
	if err != nil {
		return "", err
	}
	for _, b := range blobs {
		if err := checkBlob(fsys, descriptor{Digest: "sha256:" + b.Name(), Size: -1}); err != nil {
			return "", err
		}
	}
	var image string
	for i, d := range top.Manifests {
		got, err := walkDescriptor(fsys, d, 0)
		if err != nil {
			return "", err
		}
		if i == 0 {
			image = got
		}
	}
	return image, nil
}

// walkDescriptor checks d's blob and, for an index or manifest, what it
// references; it returns the first image manifest digest found.
func walkDescriptor(fsys fs.FS, d descriptor, depth int) (string, error) {
	if depth > 3 {
		return "", fmt.Errorf("%s: nested too deep", d.Digest)
	}
	if err := checkBlob(fsys, d); err != nil {
		return "", err
	}
	if !strings.Contains(d.MediaType, "index") && !strings.Contains(d.MediaType, "manifest") {
		return "", nil
	}
	var doc document
	if err := readJSON(fsys, blobPath(d.Digest), &doc); err != nil {
		return "", fmt.Errorf("%s: %w", d.Digest, err)
	}
	image := ""
	if doc.Config != nil {
		image = d.Digest
		if err := checkBlob(fsys, *doc.Config); err != nil {
			return "", err
		}
	}
	for _, l := range doc.Layers {
		if err := checkBlob(fsys, l); err != nil {
			return "", err
		}
	}
	for _, m := range doc.Manifests {
		got, err := walkDescriptor(fsys, m, depth+1)
		if err != nil {
			return "", err
		}
		if image == "" {
			image = got
		}
	}
	return image, nil
}

func blobPath(digest string) string {
	return "blobs/sha256/" + strings.TrimPrefix(digest, "sha256:")
}

// checkBlob requires the blob of d to exist, hash to its name and, unless
// d.Size is negative, have that size.
func checkBlob(fsys fs.FS, d descriptor) error {
	if !strings.HasPrefix(d.Digest, "sha256:") {
		return fmt.Errorf("descriptor digest %q is not sha256", d.Digest)
	}
	f, err := fsys.Open(blobPath(d.Digest))
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return fmt.Errorf("blob %s: %w", d.Digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != d.Digest {
		return fmt.Errorf("blob %s: content hashes to %s (half-written?)", d.Digest, got)
	}
	if d.Size >= 0 && n != d.Size {
		return fmt.Errorf("blob %s: %d bytes, descriptor says %d", d.Digest, n, d.Size)
	}
	return nil
}

func readJSON(fsys fs.FS, name string, v any) error {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// tarFS reads a whole tar archive into memory (exports and bundles of the
// example tree are a few MiB); a truncated archive is an error.
func tarFS(file string) (fstest.MapFS, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := fstest.MapFS{}
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if hdr.Typeflag != tar.TypeReg {
			continue
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("%s: member %s: %w", file, hdr.Name, err)
		}
		m[path.Clean(hdr.Name)] = &fstest.MapFile{Data: data, Mode: 0o644}
	}
}

// checkDockerArchive verifies a docker-archive: manifest.json names a
// config and layers that are present; the config hashes to its name.
func checkDockerArchive(file string) error {
	m, err := tarFS(file)
	if err != nil {
		return err
	}
	var entries []struct {
		Config string   `json:"Config"`
		Layers []string `json:"Layers"`
	}
	if err := readJSON(m, "manifest.json", &entries); err != nil || len(entries) == 0 {
		return fmt.Errorf("%s: manifest.json: %v", file, err)
	}
	for _, e := range entries {
		for _, name := range append([]string{e.Config}, e.Layers...) {
			if _, ok := m[path.Clean(name)]; !ok {
				return fmt.Errorf("%s: %s is missing", file, name)
			}
		}
		sum := sha256.Sum256(m[path.Clean(e.Config)].Data)
		if !strings.Contains(e.Config, hex.EncodeToString(sum[:])) {
			return fmt.Errorf("%s: config %s does not hash to its name", file, e.Config)
		}
	}
	return nil
}
