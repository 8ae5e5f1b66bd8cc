//go:build !seccomp || !cgo

package sandbox

// bpfCacheEnabled says whether this build can replay seccomp programs.
const bpfCacheEnabled = false

func bpfCacheChild() {}
