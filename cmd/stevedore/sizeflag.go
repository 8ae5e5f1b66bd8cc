package main

import (
	"fmt"

	units "github.com/docker/go-units"
)

// sizeFlag is a byte count given as 1048576, 512k, 64M or 8G (powers of
// 1024, as docker's --memory); 0 means unlimited where a flag says so.
type sizeFlag int64

func (s *sizeFlag) String() string { return units.BytesSize(float64(*s)) }

func (s *sizeFlag) Set(v string) error {
	n, err := units.RAMInBytes(v)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a size (e.g. 1048576, 64M, 8G)", v)
	}
	*s = sizeFlag(n)
	return nil
}

func (s *sizeFlag) Type() string { return "size" }
