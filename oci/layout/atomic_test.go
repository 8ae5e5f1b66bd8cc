package layout

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	digest "github.com/opencontainers/go-digest"
)

// withHook installs the failure-injection hook for one test.
func withHook(t *testing.T, h func(step string) error) {
	t.Helper()
	hook = h
	t.Cleanup(func() { hook = nil })
}

// TestWriteLayoutInterrupted stops a write over an existing layout at every
// step, either as an error (cleanup runs) or as a crash (nothing runs).
// Before the swap the old layout must be intact and readable; after it the
// new one. After an error no temp dir may remain; after a crash the next
// successful write removes the dead writer's temp dir.
func TestWriteLayoutInterrupted(t *testing.T) {
	steps := []struct {
		step    string
		nth     int // fail at the nth time the step is reached
		swapped bool
	}{
		{stepTemp, 1, false},
		{stepBlob, 1, false},
		{stepBlob, 4, false},
		{stepIndex, 1, false},
		{stepSync, 1, false},
		{stepSwapped, 1, true},
	}
	for _, st := range steps {
		for _, fail := range []error{errors.New("injected"), errCrash} {
			t.Run(fmt.Sprintf("%s#%d/%v", st.step, st.nth, fail), func(t *testing.T) {
				src, dir := t.TempDir(), filepath.Join(t.TempDir(), "core-test")
				old, img := newTestImage(t, src, amd64, "old"), newTestImage(t, src, amd64, "new")
				if err := WriteLayout(dir, old); err != nil {
					t.Fatal(err)
				}
				n := 0
				withHook(t, func(step string) error {
					if step == st.step {
						if n++; n == st.nth {
							return fail
						}
					}
					return nil
				})
				err := WriteLayout(dir, img)
				if !errors.Is(err, fail) {
					t.Fatalf("err = %v, want the injected %v", err, fail)
				}
				want := old
				if st.swapped {
					want = img
				}
				requireImage(t, dir, want)
				if fail != errCrash {
					assertNoTemps(t, dir)
				}
				hook = nil
				if err := WriteLayout(dir, img); err != nil {
					t.Fatal(err)
				}
				requireImage(t, dir, img)
				assertNoTemps(t, dir)
			})
		}
	}
}

// TestWriteLayoutFirstWriteInterrupted: interrupted before the swap, a
// first write leaves no layout at all (nothing that looks complete).
func TestWriteLayoutFirstWriteInterrupted(t *testing.T) {
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "core-test")
	withHook(t, func(step string) error {
		if step == stepSync {
			return errCrash
		}
		return nil
	})
	if err := WriteLayout(dir, newTestImage(t, src, amd64, "x")); !errors.Is(err, errCrash) {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("%s exists after an interrupted first write: %v", dir, err)
	}
}

// TestWriteLayoutConcurrent: writers racing on one dir, some of them on a
// fresh dir, end with exactly one complete layout of one of the images.
func TestWriteLayoutConcurrent(t *testing.T) {
	for round := range 3 {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			src, dir := t.TempDir(), filepath.Join(t.TempDir(), "core-test")
			imgs := map[digest.Digest]*testImage{}
			var list []*testImage
			for i := range 8 {
				img := newTestImage(t, src, amd64, fmt.Sprint(i))
				imgs[img.manifest.Digest] = img
				list = append(list, img)
			}
			var wg sync.WaitGroup
			errs := make([]error, len(list))
			for i, img := range list {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = WriteLayout(dir, img)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("writer %d: %v", i, err)
				}
			}
			got, err := Dir(dir).Resolve(amd64)
			if err != nil {
				t.Fatal(err)
			}
			img := imgs[got.ManifestDesc.Digest]
			if img == nil {
				t.Fatalf("layout holds unknown manifest %s", got.ManifestDesc.Digest)
			}
			files, _ := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
			if len(files) != 5 {
				var names []string
				for _, f := range files {
					names = append(names, f.Name())
				}
				t.Errorf("blobs: %s; want exactly the 5 of one image", strings.Join(names, " "))
			}
			assertNoTemps(t, dir)
		})
	}
}

// TestWriteLayoutWithoutRenameat2: on filesystems without renameat2 flags
// the two-rename fallback still replaces the layout, also under
// concurrency, and leaves no temp dirs.
func TestWriteLayoutWithoutRenameat2(t *testing.T) {
	renameat2 = func(int, string, int, string, uint) error { return unix.EINVAL }
	t.Cleanup(func() { renameat2 = unix.Renameat2 })
	src, dir := t.TempDir(), filepath.Join(t.TempDir(), "core-test")
	var imgs []*testImage
	for i := range 4 {
		imgs = append(imgs, newTestImage(t, src, amd64, fmt.Sprint(i)))
	}
	if err := WriteLayout(dir, imgs[0]); err != nil {
		t.Fatal(err)
	}
	requireImage(t, dir, imgs[0])
	var wg sync.WaitGroup
	for _, img := range imgs[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := WriteLayout(dir, img); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := Dir(dir).Resolve(amd64); err != nil {
		t.Fatal(err)
	}
	assertNoTemps(t, dir)
}
