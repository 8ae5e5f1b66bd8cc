package bundle

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sparseBundle is a bundle of a few hundred bytes whose only member is a
// PAX sparse file of 1 TiB of holes.
func sparseBundle() []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	manifest := []byte(`{"version":1,"targets":["core-x"],"images":[],"members":[{"path":"fetch/core/x/big","sha256":"` + hexSum(nil) + `","size":0}]}`)
	tw.WriteHeader(&tar.Header{Name: ManifestName, Typeflag: tar.TypeReg, Size: int64(len(manifest)), Mode: 0o644})
	tw.Write(manifest)
	mapBlock := make([]byte, 512)
	copy(mapBlock, "0\n")
	tw.WriteHeader(&tar.Header{Name: "fetch/core/x/big", Typeflag: tar.TypeReg, Size: 512, Mode: 0o644, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"XNU.sparse.major": "1", "XNU.sparse.minor": "0", "XNU.sparse.name": "fetch/core/x/big", "XNU.sparse.realsize": "1099511627776"}})
	tw.Write(mapBlock)
	tw.Close()
	// archive/tar refuses to write GNU.sparse records: rename them after.
	return bytes.ReplaceAll(buf.Bytes(), []byte("XNU.sparse"), []byte("GNU.sparse"))
}

// TestSparseMemberRefused: a sparse member is refused from its header
// instead of being expanded (here to 1 TiB of zeros hashed for hours).
func TestSparseMemberRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "s.bundle")
	if err := os.WriteFile(file, sparseBundle(), 0o644); err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	go func() { _, err := Verify(file); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "member fetch/core/x/big is a sparse file") {
			t.Errorf("Verify of a sparse member: %v, want a refusal naming it", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Verify hangs on a sparse member")
	}
}
