/* test_libs.c — libraries by short name: the base of a name, and lookups
 * in an ld.so.cache this test writes (old and new format, an entry of
 * another ABI first), in this process's own maps, and pl_lib_find. */
#include "harness.h"

#include "symbols/libs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bases(void)
{
	static const char *const cases[][2] = {
		{ "c", "c" }, { "libc", "c" }, { "libc.so", "c" }, { "libc.so.6", "c" },
		{ "/usr/lib/libssl.so.3", "ssl" }, { "pthread", "pthread" },
		{ "libstdc++.so.6", "stdc++" }, { "lib", "lib" },
	};
	char out[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pl_lib_base(cases[i][0], out, sizeof(out));
		CHECK_MSG(!strcmp(out, cases[i][1]), "%s -> %s, want %s", cases[i][0], out,
			  cases[i][1]);
	}
}

static void put32(FILE *f, uint32_t v) { fwrite(&v, 4, 1, f); }

/* A cache with OLD_PART old-format entries first (none is read), then the
 * new format: libc.so.6 for 32-bit x86 (flags 0x0003), libcrypt.so.1 and
 * libc.so.6 for x86-64 (0x0303). */
static void write_cache(const char *path, int old_part)
{
	static const char *const keys[] = { "libc.so.6", "libcrypt.so.1", "libc.so.6" };
	static const char *const vals[] = { "/lib32/libc.so.6", "/lib64/libcrypt.so.1",
					    "/lib/x86_64-linux-gnu/libc.so.6" };
	static const uint32_t flags[] = { 0x0003, 0x0303, 0x0303 };
	FILE *f = fopen(path, "wb");

	if (old_part) {
		fwrite("ld.so-1.7.0", 11, 1, f);
		fputc(0, f);
		put32(f, (uint32_t)old_part);
		for (int i = 0; i < old_part * 3; i++)
			put32(f, 0);
	}
	long start = ftell(f);
	/* Strings after the header and 3 entries. */
	uint32_t str = 48 + 3 * 24, off[6];
	for (int i = 0; i < 3; i++) {
		off[2 * i] = str;
		str += (uint32_t)strlen(keys[i]) + 1;
		off[2 * i + 1] = str;
		str += (uint32_t)strlen(vals[i]) + 1;
	}
	fwrite("glibc-ld.so.cache1.1", 20, 1, f);
	put32(f, 3);                                     /* nlibs */
	put32(f, str - (48 + 3 * 24));                  /* len_strings */
	for (int i = 0; i < 5; i++)
		put32(f, 0);                             /* flags+pad, extension, unused[3] */
	for (int i = 0; i < 3; i++) {
		put32(f, flags[i]);
		put32(f, off[2 * i]);
		put32(f, off[2 * i + 1]);
		put32(f, 0);
		put32(f, 0);
		put32(f, 0);                             /* hwcap (8 bytes) */
	}
	for (int i = 0; i < 3; i++) {
		fwrite(keys[i], strlen(keys[i]) + 1, 1, f);
		fwrite(vals[i], strlen(vals[i]) + 1, 1, f);
	}
	CHECK(ftell(f) - start == (long)str);
	fclose(f);
}

static void ld_cache(void)
{
#if defined(__x86_64__)
	char path[] = "/tmp/pl-test-ldcache.XXXXXX", out[256];
	int fd = mkstemp(path);

	close(fd);
	for (int old = 0; old <= 2; old += 2) {
		write_cache(path, old);
		CHECK(pl_lib_in_ld_cache(path, "c", out, sizeof(out)) == 0);
		CHECK_MSG(!strcmp(out, "/lib/x86_64-linux-gnu/libc.so.6"), "c -> %s", out);
		CHECK(pl_lib_in_ld_cache(path, "crypt", out, sizeof(out)) == 0);
		CHECK(!strcmp(out, "/lib64/libcrypt.so.1"));
		CHECK(pl_lib_in_ld_cache(path, "cr", out, sizeof(out)) == -ENOENT);
		CHECK(pl_lib_in_ld_cache(path, "ssl", out, sizeof(out)) == -ENOENT);
	}
	truncate(path, 30);
	CHECK(pl_lib_in_ld_cache(path, "c", out, sizeof(out)) == -ENOENT);
	unlink(path);
	CHECK(pl_lib_in_ld_cache("/nonexistent/ld.so.cache", "c", out, sizeof(out)) == -ENOENT);
#endif
}

static void own_maps(void)
{
	char out[256];

	CHECK(pl_lib_in_process(getpid(), "c", out, sizeof(out)) == 0);
	CHECK_MSG(strstr(out, "/libc") && strstr(out, ".so"), "libc mapped at %s", out);
	CHECK(pl_lib_in_process(getpid(), "pl_nope", out, sizeof(out)) == -ENOENT);
	CHECK(pl_lib_in_process(999999999, "c", out, sizeof(out)) == -ESRCH);
}

/* A name as uprobes find it: the same files as the lookups above. */
static void find(void)
{
	char out[4096], want[4096];

	CHECK(pl_lib_find("/nonexistent/pl_bin", 0, out, sizeof(out)) == -ENOENT);
	CHECK(pl_lib_find("pl_no_such_binary", 0, out, sizeof(out)) == -ENOENT);
	CHECK(pl_lib_find("sh", 0, out, sizeof(out)) == 0);
	CHECK_MSG(strlen(out) > 3 && !strcmp(out + strlen(out) - 3, "/sh") && !access(out, X_OK),
		  "sh -> %s", out);
	CHECK(pl_lib_find("c", getpid(), out, sizeof(out)) == 0);
	CHECK(pl_lib_in_process(getpid(), "c", want, sizeof(want)) == 0 && !strcmp(out, want));
	if (!pl_lib_in_ld_cache(NULL, "c", want, sizeof(want))) {
		CHECK(pl_lib_find("c", 0, out, sizeof(out)) == 0);
		CHECK_MSG(!strcmp(out, want), "c -> %s, the cache says %s", out, want);
	}
	CHECK(pl_lib_check_elf(out) == 0);
	CHECK(pl_lib_check_elf("/proc/self/status") == -ENOEXEC);
}

int main(void)
{
	RUN(bases);
	RUN(ld_cache);
	RUN(own_maps);
	RUN(find);
	return pl_test_summary();
}
