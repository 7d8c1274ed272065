/* libs.c — shared libraries by short name (libs.h), after BCC's
 * bcc_procutils_which_so. */
#include "symbols/libs.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void pl_lib_base(const char *name, char *out, size_t len)
{
	const char *slash = strrchr(name, '/');
	const char *b = slash ? slash + 1 : name;

	if (!strncmp(b, "lib", 3) && b[3])
		b += 3;
	size_t n = strcspn(b, ".");
	const char *so = strstr(b, ".so");
	if (so)
		n = (size_t)(so - b);
	snprintf(out, len, "%.*s", (int)n, b);
}

/* FILE (a base name) is lib<BASE>.so... or lib<BASE>-...so... */
static int names_lib(const char *file, const char *base)
{
	size_t n = strlen(base);

	return !strncmp(file, "lib", 3) && !strncmp(file + 3, base, n) &&
	       (file[3 + n] == '.' || file[3 + n] == '-') && strstr(file + 3 + n, ".so");
}

int pl_lib_in_process(int pid, const char *base, char *out, size_t len)
{
	char path[64], line[4096 + 128];
	int rc = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f)) {
		char *file = strchr(line, '/');
		if (!file)
			continue;
		file[strcspn(file, "\n")] = '\0';
		const char *b = strrchr(file, '/') + 1;
		if (names_lib(b, base)) {
			snprintf(out, len, "%s", file);
			rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

/* glibc's ld.so.cache, new format ("glibc-ld.so.cache1.1"), possibly after
 * an old-format ("ld.so-1.7.0") part. String offsets count from the start
 * of the new-format header. */
#define CACHE_OLD "ld.so-1.7.0"
#define CACHE_NEW "glibc-ld.so.cache"
#define NEW_HEADER 48              /* magic, version, nlibs, len_strings, ... */
#define NEW_ENTRY 24               /* flags, key, value, osversion, hwcap */
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF_LIBC6 0x0003
#define FLAG_REQUIRED_MASK 0xff00
#if defined(__x86_64__)
#define FLAG_ABI 0x0300            /* FLAG_X8664_LIB64 */
#elif defined(__aarch64__)
#define FLAG_ABI 0x0a00            /* FLAG_AARCH64_LIB64 */
#else
#define FLAG_ABI 0x0000
#endif

static uint32_t u32_at(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

int pl_lib_in_ld_cache(const char *cache, const char *base, char *out, size_t len)
{
	struct stat st;
	int rc = -ENOENT;
	int fd = open(cache ? cache : "/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || st.st_size < NEW_HEADER) {
		close(fd);
		return -ENOENT;
	}
	size_t size = (size_t)st.st_size;
	const unsigned char *map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return -errno;

	const unsigned char *h = map;
	if (!memcmp(h, CACHE_OLD, strlen(CACHE_OLD))) {
		/* magic[11] + pad, nlibs, then 12-byte entries; 4-aligned after. */
		size_t old = 16 + (size_t)u32_at(h + 12) * 12;
		old = (old + 3) & ~(size_t)3;
		h = old + NEW_HEADER <= size ? map + old : NULL;
	}
	if (!h || memcmp(h, CACHE_NEW, strlen(CACHE_NEW)))
		goto out;
	size_t avail = size - (size_t)(h - map);
	uint32_t nlibs = u32_at(h + 20);
	if ((size_t)nlibs > (avail - NEW_HEADER) / NEW_ENTRY)
		goto out;
	char want[256];
	snprintf(want, sizeof(want), "lib%s.so", base);
	for (uint32_t i = 0; i < nlibs; i++) {
		const unsigned char *e = h + NEW_HEADER + (size_t)i * NEW_ENTRY;
		uint32_t flags = u32_at(e), key = u32_at(e + 4), value = u32_at(e + 8);
		if ((flags & FLAG_TYPE_MASK) != FLAG_ELF_LIBC6 ||
		    (flags & FLAG_REQUIRED_MASK) != FLAG_ABI || key >= avail || value >= avail)
			continue;
		const char *k = (const char *)h + key, *v = (const char *)h + value;
		if (!memchr(k, '\0', avail - key) || !memchr(v, '\0', avail - value))
			continue;
		if (!strncmp(k, want, strlen(want)) &&
		    (k[strlen(want)] == '\0' || k[strlen(want)] == '.')) {
			snprintf(out, len, "%s", v);
			rc = 0;
			break;
		}
	}
out:
	munmap((void *)map, size);
	return rc;
}

/* ---- a binary or library by name (what uprobes attach to) ---------------- */

static bool is_file(const char *path, int mode)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, mode) == 0;
}

/* Look NAME up in the ':'-separated directories of DIRS. */
static bool search_dirs(const char *dirs, const char *name, int mode, char *out, size_t len)
{
	while (dirs && *dirs) {
		size_t n = strcspn(dirs, ":");

		/* Libraries (F_OK) must be ELF: libc.so in a lib directory is
		 * often a linker script. */
		if (n && (size_t)snprintf(out, len, "%.*s/%s", (int)n, dirs, name) < len &&
		    is_file(out, mode) && (mode != F_OK || !pl_lib_check_elf(out)))
			return true;
		dirs += n + (dirs[n] == ':');
	}
	return false;
}

int pl_lib_find(const char *bin, int pid, char *out, size_t len)
{
	/* The usual multiarch and plain library directories (ld.so.cache
	 * comes last, by base name). */
	static const char lib_dirs[] =
#if defined(__x86_64__)
		"/lib/x86_64-linux-gnu:/usr/lib/x86_64-linux-gnu:"
#elif defined(__aarch64__)
		"/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu:"
#endif
		"/lib64:/usr/lib64:/lib:/usr/lib:/usr/local/lib";

	char base[256];

	if (strchr(bin, '/')) {
		if (!is_file(bin, F_OK))
			return -ENOENT;
		snprintf(out, len, "%s", bin);
		return 0;
	}
	pl_lib_base(bin, base, sizeof(base));
	if (pid > 0 && base[0] && !pl_lib_in_process(pid, base, out, len))
		return 0;
	if (strstr(bin, ".so")) {
		if (search_dirs(getenv("LD_LIBRARY_PATH"), bin, F_OK, out, len) ||
		    search_dirs(lib_dirs, bin, F_OK, out, len))
			return 0;
	} else {
		const char *path = getenv("PATH");
		if (search_dirs(path && *path ? path : "/usr/local/bin:/usr/bin:/bin", bin, X_OK,
				out, len))
			return 0;
	}
	if (base[0] && !pl_lib_in_ld_cache(NULL, base, out, len))
		return 0;
	return -ENOENT;
}

int pl_lib_check_elf(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != 4 || memcmp(magic, "\177ELF", 4))
		return -ENOEXEC;
	return 0;
}
