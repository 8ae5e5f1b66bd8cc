package hardening

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// sha256Of returns "sha256:<hex>" of r's bytes.
func sha256Of(t *testing.T, r io.Reader) string {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// A recorded fetch-step layer is reused offline only when the tree's
// stevedore.fetch-steps pins it: a record replaced together with its own
// metadata (as a bundle or a tampered .stevedore could carry it) is refused.
func TestTamperedFetchStepRecordRefused(t *testing.T) {
	bin := stevedore(t)
	ext := ""
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			ext = n.IP.String()
			break
		}
	}
	if ext == "" {
		t.Skip("no non-loopback IPv4 address to serve on")
	}
	l, err := net.Listen("tcp", ext+":0")
	if err != nil {
		t.Fatal(err)
	}
	port := serveHTTP(t, l, "the real index\n")
	cf := "FROM stagex/core-busybox\nRUN timeout 20 wget -q -O /index http://" + ext + ":" + strconv.Itoa(port) + "/\n"
	root := writeTree(t, bin, map[string]string{"fetcher": cf})
	if out, err := run(bin, root, "build", "--network-for-fetch-steps", "--progress=quiet"); err != nil {
		t.Fatalf("online build: %v\n%s", err, out)
	}
	// Both RUNs lack --network=none, so both are recorded and pinned.
	recs, _ := filepath.Glob(filepath.Join(root, ".stevedore", "fetch-steps", "*.json"))
	if b, err := os.ReadFile(filepath.Join(root, "stevedore.fetch-steps")); err != nil || len(recs) == 0 || strings.Count(string(b), "sha256:") != 2*len(recs) {
		t.Errorf("stevedore.fetch-steps after the online build (%d records): %v\n%s", len(recs), err, b)
	}
	// Replace every record with another layer (busybox's), metadata and all.
	blobs, _ := filepath.Glob(filepath.Join(root, "out", "core-busybox", "blobs", "sha256", "*"))
	var evil string
	for _, b := range blobs {
		if f, err := os.Open(b); err == nil {
			if _, err := gzip.NewReader(f); err == nil {
				evil = b
			}
			f.Close()
		}
	}
	data, _ := os.ReadFile(evil)
	f, _ := os.Open(evil)
	zr, _ := gzip.NewReader(f)
	diffID := sha256Of(t, zr)
	f.Close()
	for _, rec := range recs {
		key := strings.TrimSuffix(filepath.Base(rec), ".json")
		meta, _ := json.Marshal(map[string]any{"key": key, "digest": "sha256:" + filepath.Base(evil), "diff_id": diffID, "size": len(data)})
		os.WriteFile(rec, meta, 0o644)
		os.WriteFile(strings.TrimSuffix(rec, ".json")+".tar.gz", data, 0o644)
	}
	l.Close()
	if out, err := run(bin, root, "clean"); err != nil {
		t.Fatalf("clean: %v\n%s", err, out)
	}
	out, err := run(bin, root, "build", "--progress=plain", "core-fetcher")
	if err == nil || !strings.Contains(out, "stevedore.fetch-steps pins") {
		t.Fatalf("offline build with a replaced record: %v, want a refusal naming the pin:\n%s", err, out)
	}
	// Nothing pinned, no network: refused too.
	os.Remove(filepath.Join(root, "stevedore.fetch-steps"))
	out, err = run(bin, root, "build", "--progress=plain", "core-fetcher")
	if err == nil || !strings.Contains(out, "is not pinned in") {
		t.Fatalf("offline build without pins: %v, want a refusal:\n%s", err, out)
	}
}
