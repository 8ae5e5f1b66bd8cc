//go:build seccomp && cgo

package sandbox

// libcontainer 1.5 asks libseccomp for its binary-tree optimisation
// (SCMP_FLTATR_CTL_OPTIMIZE=2) when a filter has more than 32 rules, as the
// default profile does. Compiling that tree in every container's init costs
// about 6 ms of the ~20 ms the profile takes to compile, on every RUN.
// BuildKit's runc on the reference hosts (Debian's 1.1.5) never asks for it,
// so its filters use libseccomp's default linear layout. The wrapper below
// ignores that one attribute, which makes our filter the same layout as
// BuildKit's: the allowed and denied syscalls and arguments are identical
// either way, only the order of the BPF comparisons differs.
//
// The linker's --wrap redirects libseccomp-golang's calls of
// seccomp_attr_set to __wrap_seccomp_attr_set in this binary only.

/*
#cgo LDFLAGS: -Wl,--wrap=seccomp_attr_set
#include <stdint.h>
#include <seccomp.h>

int __real_seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value);

int __wrap_seccomp_attr_set(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value)
{
	if (attr == SCMP_FLTATR_CTL_OPTIMIZE)
		return 0;
	return __real_seccomp_attr_set(ctx, attr, value);
}
*/
import "C"
