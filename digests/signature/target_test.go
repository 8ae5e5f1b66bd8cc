package signature

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/google/go-cmp/cmp"

	"github.com/stevedore-build/stevedore/digests"
	"github.com/stevedore-build/stevedore/digests/internal/ocitest"
)

func TestWriteNextConcurrent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "stagex", "core-x@sha256=00")
	var wg sync.WaitGroup
	paths := make([]string, 16)
	for i := range paths {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			p, err := WriteNext(dir, []byte(fmt.Sprint(i)))
			if err != nil {
				t.Error(err)
			}
			paths[i] = p
		}(i)
	}
	wg.Wait()
	files, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 16 || files[15].N != 16 || len(Gaps(files)) != 0 {
		t.Fatalf("List = %+v, want signature-1..16", files)
	}
	seen := map[string]bool{}
	for _, f := range files {
		b, _ := os.ReadFile(f.Path)
		if seen[string(b)] {
			t.Errorf("%s repeats content %q: a write was clobbered", f.Name, b)
		}
		seen[string(b)] = true
	}
}

func TestListAndGaps(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"signature-1", "signature-3", "signature-10", "signature-01", "junk", ".signature-x.tmp"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	files, _ := List(dir)
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"signature-1", "signature-3", "signature-10", "junk", "signature-01"}, names); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{2, 4, 5, 6, 7, 8, 9}, Gaps(files)); diff != "" {
		t.Errorf("Gaps (-want +got):\n%s", diff)
	}
}

// newTree writes out/core-gcc with tag 13 and returns tree, signatures root
// and the image.
func newTree(t *testing.T) (string, string, Subject) {
	t.Helper()
	tree := t.TempDir()
	ocitest.WriteLayout(t, digests.OutDir(tree, "core-gcc"), "13")
	root := filepath.Join(tree, "signatures")
	img, err := ReadTarget(tree, root, "stagex", "core-gcc")
	if err != nil {
		t.Fatal(err)
	}
	return tree, root, img
}

func TestSignImageOncePerKey(t *testing.T) {
	_, root, img := newTree(t)
	if img.Reference != "stagex/core-gcc:13" || !strings.HasPrefix(img.Dir, filepath.Join(root, "stagex", "core-gcc@sha256=")) {
		t.Fatalf("ReadTarget = %+v", img)
	}
	alice, bob := newKey(t, "alice", nil), newKey(t, "bob", nil)
	sign := func(e *openpgp.Entity) SignResult {
		t.Helper()
		res, err := SignImage(t.Context(), img, &KeySigner{Entity: e, Now: at(time.Hour)}, t0.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := sign(alice)
	again := sign(alice)
	second := sign(bob)
	if first.Already || !again.Already || second.Already {
		t.Errorf("Already = %v %v %v, want false true false", first.Already, again.Already, second.Already)
	}
	if filepath.Base(first.Path) != "signature-1" || again.Path != first.Path || filepath.Base(second.Path) != "signature-2" {
		t.Errorf("paths = %s %s %s", first.Path, again.Path, second.Path)
	}
	data, _ := os.ReadFile(first.Path)
	if !bytes.Contains(data, img.Payload().Marshal()) {
		t.Error("signature-1 does not hold the exact uncompressed payload")
	}
}

func TestVerifyImageQuorum(t *testing.T) {
	_, _, img := newTree(t)
	alice, bob, carol := newKey(t, "alice", nil), newKey(t, "bob", nil), newKey(t, "carol", nil)
	kr := publicRing(t, alice, bob)
	pay := img.Payload()
	write := func(name string, data []byte) {
		os.MkdirAll(img.Dir, 0o755)
		if err := os.WriteFile(filepath.Join(img.Dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("signature-1", []byte("garbage, not OpenPGP"))
	write("signature-2", signWith(t, alice, pay))
	write("signature-3", signWith(t, alice, pay))
	write("signature-4", signWith(t, carol, pay))
	write("signature-6", signWith(t, bob, pay))
	write("README", []byte("x"))
	rep := VerifyImage(img, kr, 2, t0.Add(2*time.Hour))
	got := map[string]Reason{}
	for _, f := range rep.Files {
		got[f.Name] = f.Reason
	}
	want := map[string]Reason{
		"signature-1": ReasonNotOpenPGP, "signature-2": "", "signature-3": ReasonDuplicate,
		"signature-4": ReasonUnknownKey, "signature-6": "", "README": ReasonBadName,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if rep.Valid() != 2 || !rep.OK() {
		t.Errorf("Valid() = %d, OK() = %v, want 2, true", rep.Valid(), rep.OK())
	}
	if diff := cmp.Diff([]int{5}, rep.Gaps); diff != "" {
		t.Errorf("Gaps (-want +got):\n%s", diff)
	}
	var b bytes.Buffer
	rep.Write(&b)
	for _, s := range []string{"OK core-gcc", "2 distinct valid signer(s), quorum 2", "signature-3", "key already counted", "signature-5 is missing", strings.ToUpper(fingerprint(alice))} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, b.String())
		}
	}
	if rep3 := VerifyImage(img, kr, 3, t0.Add(2*time.Hour)); rep3.OK() {
		t.Error("quorum 3 with 2 keys: OK() = true")
	}
}

func TestVerifyTargetsMissing(t *testing.T) {
	tree, root, img := newTree(t)
	kr := publicRing(t, newKey(t, "a", nil))
	reps, ok := VerifyTargets(tree, root, "stagex", []string{"core-gcc", "core-nope"}, kr, 1, t0)
	if ok || len(reps) != 2 || reps[1].Err == nil || reps[0].Valid() != 0 {
		t.Errorf("VerifyTargets = %+v, %v; want two failing reports", reps, ok)
	}
	_ = img
}

func FuzzVerify(f *testing.F) {
	alice := newKey(f, "alice", nil)
	kr := publicRing(f, alice)
	good := signWith(f, alice, testPay)
	f.Add(good)
	f.Add(append(append([]byte{}, good...), good...))
	f.Add([]byte("-----BEGIN PGP MESSAGE-----\n"))
	f.Add([]byte{0xa3, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		r := Verify(b, kr, testWant, t0.Add(2*time.Hour))
		if r.OK() && !bytes.Equal(b, good) {
			// Any accepted message must carry exactly the expected payload.
			if r.Payload == nil || r.Payload.Digest != testDigest {
				t.Fatalf("accepted %x with payload %+v", b, r.Payload)
			}
		}
		if !r.OK() && r.Reason == "" {
			t.Fatal("rejected without a reason")
		}
	})
}
