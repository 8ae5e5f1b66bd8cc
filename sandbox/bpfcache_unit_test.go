package sandbox

import (
	"bytes"
	"testing"

	"github.com/opencontainers/runc/libcontainer/configs"
)

func TestBPFCacheLearnsOnlyWholePrograms(t *testing.T) {
	if !bpfCacheEnabled {
		t.Skip("build without seccomp: no program cache")
	}
	ret := []byte{0x06, 0, 0, 0, 0, 0, 0xff, 0x7f} // ret ALLOW
	ld := []byte{0x20, 0, 0, 0, 4, 0, 0, 0}        // ld [4]
	for _, tc := range []struct {
		name     string
		captured []byte
		want     []byte
	}{
		{"nothing captured", nil, nil},
		{"not whole instructions", ret[:7], nil},
		{"no final return", append(append([]byte{}, ret...), ld...), nil},
		{"a program", append(append([]byte{}, ld...), ret...), append(append([]byte{}, ld...), ret...)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c bpfCache
			sc := &configs.Seccomp{DefaultAction: configs.Allow}
			o := c.offer(sc)
			if o == nil || !o.capture {
				t.Fatalf("first offer = %+v, want a capture", o)
			}
			if _, err := o.file.Write(tc.captured); err != nil {
				t.Fatal(err)
			}
			c.done(o)
			replay := c.offer(sc)
			if replay == nil {
				t.Fatal("second offer = nil")
			}
			defer c.done(replay)
			if tc.want == nil {
				if !replay.capture {
					t.Errorf("learned a bad capture (% x)", tc.captured)
				}
				return
			}
			got := make([]byte, len(tc.want)+1)
			n, _ := replay.file.ReadAt(got, 0)
			if replay.capture || !bytes.Equal(got[:n], tc.want) {
				t.Errorf("replayed % x (capture %v), want % x", got[:n], replay.capture, tc.want)
			}
			if _, err := replay.file.Write([]byte{0}); err == nil {
				t.Error("the replayed program's memfd is writable, want it sealed")
			}
		})
	}
}
