/* test_cache.c — the compile cache: SHA-256, keys, entries, and pl_compile()
 * through it.
 *
 * The pl_compile() part needs the shim library (built next to the pktlua
 * binary). It proves a hit by pointing PKTLUA_CC_SHIM at a file that does not
 * exist: then only a cache hit can compile, and any input that must change
 * the key makes the compile fail. No root, no kernel. */
#include "harness.h"

#include "base/sha256.h"
#include "compile/cache.h"
#include "compile/compiler.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NO_SHIM "/nonexistent/libpktlua-cc.so"

static char tmpdir[] = "/tmp/pktlua-test-cache.XXXXXX";

static void hex_of(const char *s, size_t len, char hex[PL_SHA256_HEX_LEN + 1])
{
	unsigned char d[PL_SHA256_LEN];

	pl_sha256(s, len, d);
	pl_sha256_hex(d, hex);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK_MSG(f, "%s: %s", path, strerror(errno));
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* Entry files under DIR (two levels: <2 hex>/<62 hex>.obj). */
static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char sub[4096];
		DIR *s;
		struct dirent *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", dir, e->d_name);
		s = opendir(sub);
		if (!s)
			continue;
		while ((f = readdir(s)))
			n += f->d_name[0] != '.' && strstr(f->d_name, ".obj") &&
			     !strchr(f->d_name, 'X') && strlen(f->d_name) == 62 + 4;
		closedir(s);
	}
	closedir(d);
	return n;
}

static void test_sha256(void)
{
	char hex[PL_SHA256_HEX_LEN + 1];
	static const char abc56[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	struct pl_sha256 s;
	unsigned char d[PL_SHA256_LEN];
	char *million = malloc(1000000);

	hex_of("", 0, hex);
	CHECK(!strcmp(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	hex_of("abc", 3, hex);
	CHECK(!strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
	hex_of(abc56, strlen(abc56), hex);
	CHECK(!strcmp(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
	/* A million 'a's, fed in uneven pieces (partial blocks on both sides). */
	if (million) {
		memset(million, 'a', 1000000);
		pl_sha256_init(&s);
		for (size_t off = 0, step = 1; off < 1000000; off += step, step = step * 7 % 191 + 1)
			pl_sha256_update(&s, million + off, off + step > 1000000 ? 1000000 - off : step);
		pl_sha256_final(&s, d);
		pl_sha256_hex(d, hex);
		CHECK(!strcmp(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
		free(million);
	}
}

static const unsigned char digest_a[PL_SHA256_LEN] = { 1 };
static const unsigned char digest_b[PL_SHA256_LEN] = { 2 };

static void key_of(const struct pl_cache_ident *id, const struct pl_cache_input *in,
		   unsigned char key[PL_SHA256_LEN])
{
	pl_cache_key(id, in, key);
}

/* Every input changes the key; equal inputs (in other buffers) do not. */
static void test_key_inputs(void)
{
	static const char tu[] = "int x;\n";
	const char *defs[] = { "N=1", NULL }, *defs2[] = { "N=2", NULL };
	const char *defs_ab[] = { "A", "B", NULL }, *defs_joined[] = { "AB", NULL };
	const char *flags[] = { "-O1", NULL }, *flags2[] = { "-O2", NULL };
	const struct pl_cache_ident id = { "0.1.0", "19.1.7", digest_a, "6.18|#1|x86_64|btf:1" };
	const struct pl_cache_input in = { tu, sizeof(tu) - 1, "x.lua", 3, defs, flags, NULL };
	unsigned char base[PL_SHA256_LEN], k[PL_SHA256_LEN];
	struct pl_cache_input v;
	struct pl_cache_ident vi;

	key_of(&id, &in, base);

	/* Same content in other buffers: the same key. */
	char *tu_copy = strdup(tu), *name_copy = strdup("x.lua"), *def_copy = strdup("N=1");
	const char *defs_copy[] = { def_copy, NULL };
	v = (struct pl_cache_input){ tu_copy, sizeof(tu) - 1, name_copy, 3, defs_copy, flags, NULL };
	key_of(&id, &v, k);
	CHECK(!memcmp(k, base, sizeof(k)));
	free(tu_copy);
	free(name_copy);
	free(def_copy);

#define DIFFERS(what)                                                            \
	do {                                                                     \
		key_of(&vi, &v, k);                                              \
		CHECK_MSG(memcmp(k, base, sizeof(k)), "key does not change with %s", what); \
	} while (0)

	vi = id, v = in, v.tu = "int y;\n";                       DIFFERS("the source");
	vi = id, v = in, v.tu = "#line 1 \"<generated>\"\nint p;\nint x;\n";
	v.tu_len = strlen(v.tu);                                  DIFFERS("a prelude");
	vi = id, v = in, v.tu_len--;                              DIFFERS("the source length");
	vi = id, v = in, v.defines = defs2;                       DIFFERS("a define's value");
	vi = id, v = in, v.defines = NULL;                        DIFFERS("no defines");
	vi = id, v = in, v.defines = defs_ab;                     DIFFERS("two defines");
	vi = id, v = in, v.cflags = flags2;                       DIFFERS("a cflag");
	vi = id, v = in, v.cflags = NULL;                         DIFFERS("no cflags");
	vi = id, v = in, v.filename = "y.lua";                    DIFFERS("the file name");
	vi = id, v = in, v.first_line = 4;                        DIFFERS("the first line");
	vi = id, v = in, v.variant = "PKTLUA_VMLINUX=full";       DIFFERS("a compiler knob");
	vi = id, v = in, vi.pktlua_version = "0.1.1";             DIFFERS("pktlua's version");
	vi = id, v = in, vi.llvm_version = "19.1.8";              DIFFERS("LLVM's version");
	vi = id, v = in, vi.build_digest = digest_b;              DIFFERS("the headers digest");
	vi = id, v = in, vi.kernel = "6.18|#2|x86_64|btf:1";      DIFFERS("the kernel");

	/* Field boundaries are kept: {"A","B"} vs {"AB"}, define vs cflag. */
	unsigned char k1[PL_SHA256_LEN], k2[PL_SHA256_LEN];
	v = in, v.defines = defs_ab, v.cflags = NULL;
	key_of(&id, &v, k1);
	v.defines = defs_joined;
	key_of(&id, &v, k2);
	CHECK(memcmp(k1, k2, sizeof(k1)));
	const char *o1[] = { "-O1", NULL };
	v = in, v.defines = o1, v.cflags = NULL;
	key_of(&id, &v, k1);
	v.defines = NULL, v.cflags = o1;
	key_of(&id, &v, k2);
	CHECK(memcmp(k1, k2, sizeof(k1)));

	/* NULL identity fields are this build: the same as naming them. */
	pl_cache_key(NULL, &in, k1);
	pl_cache_key(NULL, &in, k2);
	CHECK(!memcmp(k1, k2, sizeof(k1)));
	CHECK(memcmp(k1, base, sizeof(k1)));
#undef DIFFERS
}

static void test_dir(void)
{
	char *d;

	setenv("PKTLUA_CACHE_DIR", "/x/y", 1);
	d = pl_cache_dir();
	CHECK(d && !strcmp(d, "/x/y"));
	free(d);
	unsetenv("PKTLUA_CACHE_DIR");
	setenv("XDG_CACHE_HOME", "/xdg", 1);
	d = pl_cache_dir();
	CHECK(d && !strcmp(d, "/xdg/pktlua"));
	free(d);
	setenv("XDG_CACHE_HOME", "relative", 1);   /* invalid per the spec: ignored */
	setenv("HOME", "/home/u", 1);
	d = pl_cache_dir();
	CHECK(d && !strcmp(d, "/home/u/.cache/pktlua"));
	free(d);
	unsetenv("XDG_CACHE_HOME");
	unsetenv("HOME");
	d = pl_cache_dir();
	CHECK(!d && errno == ENOENT);

	unsigned char key[PL_SHA256_LEN];
	for (int i = 0; i < PL_SHA256_LEN; i++)
		key[i] = (unsigned char)(0xab + i);
	d = pl_cache_entry_path("/c", key);
	CHECK(d && !strncmp(d, "/c/ab/acadae", 12) && strlen(d) == 3 + 3 + 62 + 4 &&
	      !strcmp(d + strlen(d) - 4, ".obj"));
	free(d);
}

/* A result as a compile would give it, with one dependency. */
static struct pl_compile_result sample_result(const char *dep)
{
	struct pl_compile_result r = { 0 };
	static const char obj[] = "\x7f" "ELF not really an object, but bytes";

	r.obj = malloc(sizeof(obj));
	memcpy(r.obj, obj, sizeof(obj));
	r.obj_len = sizeof(obj);
	r.diag = strdup("x.lua:3: warning: hello\n");
	r.deps_len = strlen(dep) + 1;
	r.deps = malloc(r.deps_len);
	memcpy(r.deps, dep, r.deps_len);
	return r;
}

static void test_round_trip_and_corruption(void)
{
	char dir[4096], dep[4096], why[256];
	unsigned char key[PL_SHA256_LEN], other[PL_SHA256_LEN];
	struct pl_compile_result r, got = { 0 };
	char *path;
	int err;

	snprintf(dir, sizeof(dir), "%s/rt/deeper", tmpdir);
	snprintf(dep, sizeof(dep), "%s/dep.h", tmpdir);
	write_text(dep, "#define DEP 1\n");
	pl_sha256("k", 1, key);
	pl_sha256("o", 1, other);
	path = pl_cache_entry_path(dir, key);
	r = sample_result(dep);

	err = pl_cache_read(path, key, &got, why, sizeof(why));
	CHECK(err == -ENOENT);
	CHECK_STR_CONTAINS(why, "no entry");

	err = pl_cache_write(path, key, &r, NULL, why, sizeof(why));
	CHECK_MSG(!err, "write: %s", why);
	struct stat st;
	CHECK(!stat(dir, &st) && (st.st_mode & 0777) == 0700);

	err = pl_cache_read(path, key, &got, why, sizeof(why));
	CHECK_MSG(!err, "read: %s", why);
	CHECK(got.obj_len == r.obj_len && got.obj && !memcmp(got.obj, r.obj, r.obj_len));
	CHECK(got.diag && !strcmp(got.diag, r.diag));
	/* The recorded files come back too (-v names a header that shadows a
	 * built-in one on a hit as on a compile). */
	CHECK(got.deps && got.deps_len == r.deps_len && !memcmp(got.deps, r.deps, r.deps_len));
	pl_compile_result__free(&got);

	/* Another key's entry at this path is not this key's. */
	err = pl_cache_read(path, other, &got, why, sizeof(why));
	CHECK(err == -EBADMSG && !got.obj);

	/* Every single flipped byte is noticed, wherever it is. */
	unsigned char *orig = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "rb");
	if (f) {
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		rewind(f);
		orig = malloc(len);
		CHECK(fread(orig, 1, len, f) == len);
		fclose(f);
	}
	CHECK(orig && len > 200);
	int flips = 0, caught = 0;
	for (size_t i = 0; orig && i < len; i++) {
		orig[i] ^= 0x20;
		f = fopen(path, "wb");
		fwrite(orig, 1, len, f);
		fclose(f);
		orig[i] ^= 0x20;
		flips++;
		err = pl_cache_read(path, key, &got, why, sizeof(why));
		if (err == -EBADMSG || err == -ESTALE)
			caught++;
		else
			CHECK_MSG(0, "flip at byte %zu of %zu: read returned %d", i, len, err);
		pl_compile_result__free(&got);
	}
	CHECK(flips == caught);
	/* Every truncation too, the empty file included. */
	int cuts = 0, cut_caught = 0;
	for (size_t n = 0; orig && n < len; n += n < 200 ? 1 : 7) {
		f = fopen(path, "wb");
		fwrite(orig, 1, n, f);
		fclose(f);
		cuts++;
		err = pl_cache_read(path, key, &got, why, sizeof(why));
		cut_caught += err == -EBADMSG;
		pl_compile_result__free(&got);
	}
	CHECK(cuts == cut_caught);
	/* A byte too many. */
	f = fopen(path, "wb");
	if (f && orig) {
		fwrite(orig, 1, len, f);
		fputc(0, f);
		fclose(f);
		CHECK(pl_cache_read(path, key, &got, why, sizeof(why)) == -EBADMSG);
	}
	free(orig);

	/* Rewritten, it reads again; the temp file is gone. */
	err = pl_cache_write(path, key, &r, NULL, why, sizeof(why));
	CHECK_MSG(!err, "write: %s", why);
	CHECK(!pl_cache_read(path, key, &got, why, sizeof(why)));
	pl_compile_result__free(&got);
	CHECK(count_entries(dir) == 1);

	/* A changed dependency is a miss that names it; so is a missing one. */
	write_text(dep, "#define DEP 2\n");
	err = pl_cache_read(path, key, &got, why, sizeof(why));
	CHECK(err == -ESTALE && !got.obj);
	CHECK_STR_CONTAINS(why, "dep.h changed");
	write_text(dep, "#define DEP 1\n");
	CHECK(!pl_cache_read(path, key, &got, why, sizeof(why)));
	pl_compile_result__free(&got);
	unlink(dep);
	err = pl_cache_read(path, key, &got, why, sizeof(why));
	CHECK(err == -ESTALE);
	CHECK_STR_CONTAINS(why, "dep.h");

	/* Storing with a dependency that is gone, or that changed after SINCE,
	 * stores nothing. */
	err = pl_cache_write(path, key, &r, NULL, why, sizeof(why));
	CHECK(err == -EAGAIN);
	struct timespec since;
	clock_gettime(CLOCK_REALTIME_COARSE, &since);
	since.tv_sec -= 1;
	write_text(dep, "#define DEP 3\n");
	err = pl_cache_write(path, key, &r, &since, why, sizeof(why));
	CHECK(err == -EAGAIN);
	CHECK_STR_CONTAINS(why, "changed during the compile");

	pl_compile_result__free(&r);
	free(path);
}

/* Writers of one key racing a reader: the reader sees no entry or a whole
 * one, never a partial one; no temporary file is left behind. */
static void test_concurrent(void)
{
	char dir[4096], why[256];
	unsigned char key[PL_SHA256_LEN];
	struct pl_compile_result r = { 0 }, got = { 0 };
	pid_t kids[3];
	char *path;

	snprintf(dir, sizeof(dir), "%s/race", tmpdir);
	pl_sha256("race", 4, key);
	path = pl_cache_entry_path(dir, key);
	r.obj_len = 256 * 1024;         /* big enough that a write takes a while */
	r.obj = calloc(1, r.obj_len);
	r.diag = strdup("");
	for (int i = 0; i < 3; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			for (int n = 0; n < 40; n++)
				if (pl_cache_write(path, key, &r, NULL, why, sizeof(why)))
					_exit(1);
			_exit(0);
		}
	}
	int bad = 0, whole = 0, reads = 0, running = 3;
	while (running) {
		int err = pl_cache_read(path, key, &got, why, sizeof(why));

		reads++;
		if (!err)
			whole++;
		else if (err != -ENOENT)
			bad++;
		pl_compile_result__free(&got);
		for (int i = 0; i < 3; i++) {
			int st = -1;

			if (kids[i] > 0 && waitpid(kids[i], &st, WNOHANG) == kids[i]) {
				CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
				kids[i] = 0;
				running--;
			}
		}
	}
	CHECK_MSG(!bad, "%d of %d reads saw a partial entry", bad, reads);
	CHECK(!pl_cache_read(path, key, &got, why, sizeof(why)));
	pl_compile_result__free(&got);
	fprintf(stderr, "     (%d whole reads of %d during the writes)\n", whole, reads);
	char cmd[8300];
	snprintf(cmd, sizeof(cmd), "test $(ls '%s'/*/ | wc -l) -eq 1", dir);
	CHECK(system(cmd) == 0);
	pl_compile_result__free(&r);
	free(path);
}

/* --- through pl_compile() --------------------------------------------------- */

static int compile_src(const char *src, const struct pl_compile_opts *o,
		       struct pl_compile_result *r)
{
	return pl_compile(src, strlen(src), o, r);
}

static void test_compile_through_cache(void)
{
	static const char src[] =
		"#warning from the snippet\n"
		"__attribute__((section(\"tracepoint/syscalls/sys_enter_getpid\"), used))\n"
		"int f(void *ctx) { return N; }\n";
	char dir[4096], hdr_dir[4096], hdr[4200], iflag[4200];
	const char *defs[] = { "N=1", NULL }, *defs2[] = { "N=2", NULL };
	const char *flags[] = { "-Wno-unused", NULL };
	struct pl_compile_opts o = { .filename = "x.lua", .first_line = 5, .defines = defs,
				     .cflags = flags };
	struct pl_compile_result first, r;
	int err;

	snprintf(dir, sizeof(dir), "%s/cc", tmpdir);
	setenv("PKTLUA_CACHE_DIR", dir, 1);
	unsetenv("PKTLUA_CC_SHIM");
	unsetenv("PKTLUA_VMLINUX");
	pl_cache_set_enabled(true);

	err = compile_src(src, &o, &first);
	CHECK_MSG(!err, "first compile: %s", pl_test_str(first.diag));
	CHECK_STR_CONTAINS(first.diag, "warning: from the snippet");
	CHECK(count_entries(dir) == 1);

	/* A hit needs no compiler at all, and is the same object and warnings. */
	setenv("PKTLUA_CC_SHIM", NO_SHIM, 1);
	err = compile_src(src, &o, &r);
	CHECK_MSG(!err, "hit: %s", pl_test_str(r.diag));
	CHECK(r.obj_len == first.obj_len && r.obj && !memcmp(r.obj, first.obj, r.obj_len));
	CHECK(r.diag && first.diag && !strcmp(r.diag, first.diag));
	pl_compile_result__free(&r);

	/* Anything that changes the object misses (and so cannot compile now). */
	struct pl_compile_opts v;
#define MISSES(what, s, opts)                                                    \
	do {                                                                     \
		err = compile_src((s), (opts), &r);                              \
		CHECK_MSG(err, "%s still hits", what);                           \
		CHECK_STR_CONTAINS(r.diag, "cannot load the compiler");          \
		pl_compile_result__free(&r);                                     \
	} while (0)
	MISSES("another source", "int g;\n", &o);
	v = o, v.defines = defs2;              MISSES("another define", src, &v);
	v = o, v.defines = NULL;               MISSES("no define", src, &v);
	v = o, v.cflags = NULL;                MISSES("no cflag", src, &v);
	v = o, v.prelude = "static int p;";    MISSES("a prelude", src, &v);
	v = o, v.filename = "y.lua";           MISSES("another file name", src, &v);
	v = o, v.first_line = 6;               MISSES("another first line", src, &v);
	setenv("PKTLUA_VMLINUX", "full", 1);
	MISSES("PKTLUA_VMLINUX", src, &o);
	unsetenv("PKTLUA_VMLINUX");

	/* --no-cache: neither read nor written. */
	pl_cache_set_enabled(false);
	MISSES("a disabled cache", src, &o);
	unsetenv("PKTLUA_CC_SHIM");
	v = o, v.first_line = 7;
	err = compile_src(src, &v, &r);
	CHECK(!err);
	pl_compile_result__free(&r);
	CHECK(count_entries(dir) == 1);
	pl_cache_set_enabled(true);

	/* A header found through -I is a dependency: changing it misses. */
	snprintf(hdr_dir, sizeof(hdr_dir), "%s/inc", tmpdir);
	mkdir(hdr_dir, 0755);
	snprintf(hdr, sizeof(hdr), "%s/val.h", hdr_dir);
	snprintf(iflag, sizeof(iflag), "-I%s", hdr_dir);
	write_text(hdr, "#define VAL 7\n");
	const char *iflags[] = { iflag, NULL };
	static const char src_h[] =
		"#include \"val.h\"\n"
		"__attribute__((section(\"tracepoint/syscalls/sys_enter_getpid\"), used))\n"
		"int f(void *ctx) { return VAL; }\n";
	v = o, v.cflags = iflags;
	/* Its mtime must be before the compile starts, or nothing is stored. */
	struct timespec ts[2] = { { .tv_sec = time(NULL) - 10 }, { .tv_sec = time(NULL) - 10 } };
	utimensat(AT_FDCWD, hdr, ts, 0);
	err = compile_src(src_h, &v, &r);
	CHECK_MSG(!err, "with header: %s", pl_test_str(r.diag));
	CHECK(r.deps && memmem(r.deps, r.deps_len, "val.h", 5));
	pl_compile_result__free(&r);
	CHECK(count_entries(dir) == 2);
	setenv("PKTLUA_CC_SHIM", NO_SHIM, 1);
	err = compile_src(src_h, &v, &r);
	CHECK_MSG(!err, "header hit: %s", pl_test_str(r.diag));
	pl_compile_result__free(&r);
	write_text(hdr, "#define VAL 8\n");
	MISSES("a changed header", src_h, &v);
	unsetenv("PKTLUA_CC_SHIM");
#undef MISSES

	/* A directory that cannot be made: compile anyway. */
	setenv("PKTLUA_CACHE_DIR", "/proc/pktlua-cannot-be-here", 1);
	err = compile_src(src, &o, &r);
	CHECK_MSG(!err, "unusable cache: %s", pl_test_str(r.diag));
	pl_compile_result__free(&r);

	pl_compile_result__free(&first);
	pl_cache_set_enabled(false);
	unsetenv("PKTLUA_CACHE_DIR");
}

int main(void)
{
	if (!mkdtemp(tmpdir)) {
		perror("mkdtemp");
		return 1;
	}
	/* The shim is built next to the pktlua binary, not next to tests. */
	if (pl_compiler_set_shim_dir(PKTLUA_TEST_BINDIR))
		return 1;
	RUN(test_sha256);
	RUN(test_key_inputs);
	RUN(test_dir);
	RUN(test_round_trip_and_corruption);
	RUN(test_concurrent);
	RUN(test_compile_through_cache);
	pl_compiler_set_shim_dir(NULL);

	char cmd[sizeof(tmpdir) + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", tmpdir);
	return pl_test_summary();
}
