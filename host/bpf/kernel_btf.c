/* kernel_btf.c — one parse of the kernel's BTF serves the whole process.
 *
 * Why: libbpf 1.1 parses /sys/kernel/btf/vmlinux (~5.5 MB, 4–11 ms) afresh
 * on every bpf_object__load() that needs it (CO-RE relocations, tp_btf/,
 * raw_tp/ and other BTF-typed attach targets) and frees it afterwards; the
 * host parses it too, to make vmlinux.h. A script that loads three CO-RE
 * objects paid four parses.
 *
 * How: a deliberate interposition of two libbpf 1.1 functions. libbpf calls
 * its own btf__load_vmlinux_btf() and btf__free() through the PLT (checked:
 * `objdump -d libbpf.so.1 | grep 'btf__load_vmlinux_btf@plt'` lists its two
 * call sites, bpf_object__load's and libbpf_find_vmlinux_btf_id's; no call
 * bypasses the PLT for either function), so definitions in the executable
 * win over libbpf's. Ours of btf__load_vmlinux_btf() hands out the one
 * process-wide copy; ours of btf__free() ignores that copy and forwards
 * everything else to libbpf's (found with dlsym(RTLD_NEXT, ...)). libbpf
 * only reads the vmlinux BTF it gets (type lookups, candidate search, the
 * base of module BTF), so sharing it is safe. The linker puts both symbols in
 * the executable's dynamic symbol table because libbpf.so defines them
 * (`nm -D pktlua | grep btf__` shows them); any executable that links this
 * file (pktlua, the unit tests) gets the same behaviour.
 *
 * If a libbpf stops calling them through the PLT (static libbpf, -Bsymbolic,
 * a call made internal), nothing breaks but speed: libbpf parses and frees
 * its own copies again, and ours is never freed by anyone. The e2e test
 * vmlinux_btf_once notices: it expects one "kernel BTF loaded" line and a
 * "kernel BTF shared with libbpf" line per CO-RE load under -vv.
 *
 * Single-threaded, as the host is (see compiler.c). */
#include "bpf/kernel_btf.h"

#include "base/log.h"

#include <bpf/btf.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SYSFS_VMLINUX "/sys/kernel/btf/vmlinux"

static struct btf *shared;
static int shared_err;          /* positive errno of a failed load, remembered */
static unsigned parses, served;

typedef struct btf *(*load_fn)(void);
typedef void (*free_fn)(struct btf *);

/* libbpf's own functions, behind ours. */
static load_fn real_load(void)
{
	static load_fn fn;

	if (!fn)
		fn = (load_fn)dlsym(RTLD_NEXT, "btf__load_vmlinux_btf");
	return fn;
}

static free_fn real_free(void)
{
	static free_fn fn;

	if (!fn)
		fn = (free_fn)dlsym(RTLD_NEXT, "btf__free");
	return fn;
}

/* Why: libbpf reads the 5.5 MB file into a buffer and then copies it into
 * the struct btf: two sets of fresh pages to fault in, and the read's own
 * copy out of the kernel. Since Linux 6.16 the kernel lets the file be
 * mmap()ed read-only (its pages are the kernel's BTF itself), so only
 * btf__new()'s copy is left: 1-4 ms less of a cold compile's critical path
 * here. Older kernels refuse the mmap; libbpf's own load then does it all
 * (and knows the other places a vmlinux BTF can be). */
static struct btf *load_mapped(void)
{
	struct stat st;
	struct btf *btf = NULL;
	void *m;
	int fd = open(SYSFS_VMLINUX, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			btf = btf__new(m, (__u32)st.st_size);   /* a copy: unmap after */
			munmap(m, (size_t)st.st_size);
		}
	}
	close(fd);
	return btf;
}

const struct btf *pl_kernel_btf(void)
{
	struct timespec t0, t1;
	load_fn load;

	if (shared)
		return shared;
	if (shared_err) {
		errno = shared_err;
		return NULL;
	}
	load = real_load();
	if (!load) {
		/* Only if libbpf is not a shared library behind us. */
		pl_log(PL_LOG_INFO, "cannot load kernel BTF: libbpf's btf__load_vmlinux_btf not found: %s",
		       dlerror());
		errno = shared_err = ENOSYS;
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	const char *how = "mapped";
	shared = load_mapped();
	if (!shared) {
		how = "read by libbpf";
		shared = load();
	}
	if (!shared) {
		shared_err = errno ?: ENOENT;
		pl_log(PL_LOG_INFO, "cannot load kernel BTF (/sys/kernel/btf/vmlinux): %s",
		       strerror(shared_err));
		errno = shared_err;
		return NULL;
	}
	parses++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pl_log(PL_LOG_DEBUG, "kernel BTF loaded (%.1f ms, %u types, %s)",
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
	       btf__type_cnt(shared) - 1, how);
	return shared;
}

unsigned pl_kernel_btf_parses(void)
{
	return parses;
}

/* --- the interposed libbpf functions --------------------------------------- */

struct btf *btf__load_vmlinux_btf(void)
{
	const struct btf *btf = pl_kernel_btf();

	if (btf)
		pl_log(PL_LOG_DEBUG, "kernel BTF shared with libbpf (%u)", ++served);
	return (struct btf *)btf;
}

void btf__free(struct btf *btf)
{
	free_fn fn;

	if (!btf || btf == shared)
		return;
	fn = real_free();
	if (fn)
		fn(btf);
}
