//go:build seccomp && cgo

package sandbox

// The default profile takes a container's init 10-20 ms to compile with
// libseccomp, on every RUN, although it is the same program each time. A
// Libcontainer therefore keeps the program libseccomp exported in the first
// run's init and hands it to later inits, which write it out instead of
// compiling (see bpfcache.go for the parent's half). libcontainer still
// patches and loads the program itself, so the filter is byte-for-byte the
// one it would have compiled.
//
// The linker's --wrap redirects libseccomp-golang's calls in this binary
// only: seccomp_export_bpf replays or captures the program, and adding rules
// is skipped when a program is replayed (the rules only feed the export).

/*
#cgo LDFLAGS: -Wl,--wrap=seccomp_export_bpf -Wl,--wrap=seccomp_rule_add_array -Wl,--wrap=seccomp_rule_add_exact_array
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <seccomp.h>

static char *stevedore_bpf;
static size_t stevedore_bpf_len;
static int stevedore_capture_fd = -1;

int __real_seccomp_export_bpf(const scmp_filter_ctx ctx, int fd);
int __real_seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
	unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array);
int __real_seccomp_rule_add_exact_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
	unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array);

static int stevedore_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int __wrap_seccomp_rule_add_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
	unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array)
{
	if (stevedore_bpf)
		return 0;
	return __real_seccomp_rule_add_array(ctx, action, syscall, arg_cnt, arg_array);
}

int __wrap_seccomp_rule_add_exact_array(scmp_filter_ctx ctx, uint32_t action, int syscall,
	unsigned int arg_cnt, const struct scmp_arg_cmp *arg_array)
{
	if (stevedore_bpf)
		return 0;
	return __real_seccomp_rule_add_exact_array(ctx, action, syscall, arg_cnt, arg_array);
}

int __wrap_seccomp_export_bpf(const scmp_filter_ctx ctx, int fd)
{
	if (stevedore_bpf)
		return stevedore_write_all(fd, stevedore_bpf, stevedore_bpf_len);
	if (stevedore_capture_fd < 0)
		return __real_seccomp_export_bpf(ctx, fd);
	int cap = stevedore_capture_fd;
	stevedore_capture_fd = -1;
	int m = memfd_create("stevedore-bpf-export", MFD_CLOEXEC);
	if (m < 0) {
		close(cap);
		return __real_seccomp_export_bpf(ctx, fd);
	}
	int rc = __real_seccomp_export_bpf(ctx, m);
	off_t n = rc == 0 ? lseek(m, 0, SEEK_END) : -1;
	char *buf = n > 0 ? malloc((size_t)n) : NULL;
	if (buf && pread(m, buf, (size_t)n, 0) == n) {
		rc = stevedore_write_all(fd, buf, (size_t)n);
		// All or nothing: an empty capture is ignored by the parent.
		if (rc != 0 || stevedore_write_all(cap, buf, (size_t)n) != 0)
			(void)ftruncate(cap, 0);
	} else if (rc == 0) {
		rc = __real_seccomp_export_bpf(ctx, fd);
	}
	free(buf);
	close(m);
	close(cap);
	return rc;
}

static void stevedore_replay(const char *p, size_t n)
{
	stevedore_bpf = malloc(n);
	if (!stevedore_bpf)
		return;
	memcpy(stevedore_bpf, p, n);
	stevedore_bpf_len = n;
}

static void stevedore_capture(int fd) { stevedore_capture_fd = fd; }
*/
import "C"

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// bpfCacheEnabled says whether this build can replay seccomp programs.
const bpfCacheEnabled = true

// bpfCacheChild runs in a container's init before libcontainer: when the
// parent passed a program cache as fd 3, it arms the replay (a program) or
// the capture (an empty file) and closes fd 3, so the user's process never
// sees it.
func bpfCacheChild() {
	if link, err := os.Readlink("/proc/self/fd/3"); err != nil || link != "/memfd:"+bpfMemfdName+" (deleted)" {
		return
	}
	defer func() {
		// libcontainer leaves fd 3 (a "passed" file) open across the exec:
		// park a close-on-exec placeholder there so that nothing opened
		// later without O_CLOEXEC can reach the user's process.
		unix.Close(3)
		_, _ = unix.Open("/dev/null", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	}()
	var st unix.Stat_t
	if err := unix.Fstat(3, &st); err != nil {
		return
	}
	if st.Size == 0 {
		// A close-on-exec copy: gone at the exec even if never used.
		if fd, err := unix.FcntlInt(3, unix.F_DUPFD_CLOEXEC, 10); err == nil {
			C.stevedore_capture(C.int(fd))
		}
		return
	}
	buf := make([]byte, st.Size)
	if n, err := unix.Pread(3, buf, 0); err != nil || int64(n) != st.Size {
		return
	}
	C.stevedore_replay((*C.char)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)))
}
