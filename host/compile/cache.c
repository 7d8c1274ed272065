/* cache.c — the on-disk compile cache (see cache.h for what and why). */
#include "compile/cache.h"

#include "base/embedded.h"
#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* Bump when the key's fields or their encoding change. */
#define KEY_TAG "pktlua-cache-key/1"
/* Bump when the entry layout changes. */
#define ENTRY_MAGIC "pktluaC\n"
#define ENTRY_FORMAT 1u
#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
#define KERNEL_NOTES "/sys/kernel/notes"

/* An entry file: this header, then per dependency {u32 path length, SHA-256
 * of the file, the path without NUL}, then diag_len bytes of diagnostics,
 * then obj_len bytes of object. Native byte order: the key holds the
 * machine. meta_sha covers the header (meta_sha zeroed), the dependencies
 * and the diagnostics; obj_sha the object. */
struct entry_hdr {
	char magic[8];
	uint32_t format;
	uint32_t hdr_len;
	unsigned char key[PL_SHA256_LEN];
	uint64_t ndeps;
	uint64_t deps_len;
	uint64_t diag_len;
	uint64_t obj_len;
	unsigned char obj_sha[PL_SHA256_LEN];
	unsigned char meta_sha[PL_SHA256_LEN];
};

static bool enabled;
static bool told_unusable;   /* "cannot use the cache" said once */
static bool refused;         /* the directory is not this user's: never use it */

void pl_cache_set_enabled(bool on)
{
	enabled = on;
}

bool pl_cache_enabled(void)
{
	return enabled;
}

char *pl_cache_dir(void)
{
	const char *env = getenv("PKTLUA_CACHE_DIR");
	char *dir;

	if (env && *env)
		return strdup(env);
	/* The XDG spec: a relative XDG_CACHE_HOME is invalid and ignored. */
	env = getenv("XDG_CACHE_HOME");
	if (env && env[0] == '/')
		return asprintf(&dir, "%s/pktlua", env) < 0 ? NULL : dir;
	env = getenv("HOME");
	if (env && *env)
		return asprintf(&dir, "%s/.cache/pktlua", env) < 0 ? NULL : dir;
	errno = ENOENT;
	return NULL;
}

static const char *user_name(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw && pw->pw_name)
		snprintf(buf, len, "uid %u (%s)", (unsigned)uid, pw->pw_name);
	else
		snprintf(buf, len, "uid %u", (unsigned)uid);
	return buf;
}

int pl_cache_dir_check(const char *dir, char *why, size_t whylen)
{
	char owner[128], me[128];
	struct stat st;

	if (stat(dir, &st)) {
		int err = -errno;

		snprintf(why, whylen, "%s: %s", dir, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	if (st.st_uid != geteuid()) {
		snprintf(why, whylen, "%s belongs to %s, not to %s, who runs pktlua",
			 dir, user_name(st.st_uid, owner, sizeof(owner)),
			 user_name(geteuid(), me, sizeof(me)));
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, whylen, "%s is writable by %s (mode %04o)", dir,
			 st.st_mode & S_IWOTH ? "every user" : "its group",
			 (unsigned)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/* The running kernel's GNU build ID (the NT_GNU_BUILD_ID note of
 * /sys/kernel/notes, 164 bytes here) as hex into OUT, or "none". A kernel
 * rebuilt with the same version string and the same BTF size still gets a
 * new build ID. */
static void kernel_build_id(char *out, size_t len)
{
	unsigned char notes[4096];
	size_t n = 0, at = 0;
	int fd = open(KERNEL_NOTES, O_RDONLY | O_CLOEXEC);

	snprintf(out, len, "none");
	if (fd < 0)
		return;
	for (ssize_t k; n < sizeof(notes) && (k = read(fd, notes + n, sizeof(notes) - n)) > 0;)
		n += (size_t)k;
	close(fd);
	while (at + 12 <= n) {
		uint32_t namesz, descsz, type;

		memcpy(&namesz, notes + at, 4);
		memcpy(&descsz, notes + at + 4, 4);
		memcpy(&type, notes + at + 8, 4);
		size_t name = at + 12, desc = name + ((namesz + 3) & ~3u);
		size_t next = desc + ((descsz + 3) & ~3u);
		if (namesz > n || descsz > n || next > n)
			return;
		if (type == 3 && namesz == 4 && !memcmp(notes + name, "GNU", 4) && descsz &&
		    2 * descsz < len) {
			for (uint32_t i = 0; i < descsz; i++)
				snprintf(out + 2 * i, len - 2 * i, "%02x", notes[desc + i]);
			return;
		}
		at = next;
	}
}

void pl_cache_kernel_ident(char *buf, size_t len)
{
	/* The kernel does not change under a running process: made once, for
	 * every bpf.load's key. */
	static char ident[512];
	struct utsname u;
	struct stat st;
	char btf[32], build_id[2 * 64 + 1];

	if (!ident[0]) {
		if (uname(&u))
			memset(&u, 0, sizeof(u));
		/* The size, not the contents: reading 5 MB per run would cost more
		 * than the cache saves, and the build ID below tells rebuilds
		 * apart. */
		if (stat(KERNEL_BTF, &st))
			snprintf(btf, sizeof(btf), "no-btf");
		else
			snprintf(btf, sizeof(btf), "btf:%lld", (long long)st.st_size);
		kernel_build_id(build_id, sizeof(build_id));
		snprintf(ident, sizeof(ident), "%s|%s|%s|%s|build-id:%s", u.release, u.version,
			 u.machine, btf, build_id);
	}
	snprintf(buf, len, "%s", ident);
}

/* --- the key --------------------------------------------------------------- */

/* Length-prefixed, so no two different field lists hash the same bytes. */
static void put_field(struct pl_sha256 *s, const void *data, size_t len)
{
	uint64_t n = len;

	pl_sha256_update(s, &n, sizeof(n));
	pl_sha256_update(s, data, len);
}

static void put_str(struct pl_sha256 *s, const char *str)
{
	put_field(s, str ? str : "", str ? strlen(str) : 0);
}

static void put_list(struct pl_sha256 *s, const char *const *list)
{
	uint64_t n = 0;

	while (list && list[n])
		n++;
	pl_sha256_update(s, &n, sizeof(n));
	for (uint64_t i = 0; i < n; i++)
		put_str(s, list[i]);
}

void pl_cache_key(const struct pl_cache_ident *id, const struct pl_cache_input *in,
		  unsigned char key[PL_SHA256_LEN])
{
	char kernel[512], line[16];
	struct pl_sha256 s;

	if (!id || !id->kernel)
		pl_cache_kernel_ident(kernel, sizeof(kernel));
	pl_sha256_init(&s);
	put_str(&s, KEY_TAG);
	put_str(&s, id && id->pktlua_version ? id->pktlua_version : PKTLUA_VERSION);
	put_str(&s, id && id->llvm_version ? id->llvm_version : PKTLUA_LLVM_PACKAGE_VERSION);
	put_field(&s, id && id->build_digest ? id->build_digest : pl_embedded_digest,
		  PL_SHA256_LEN);
	put_str(&s, id && id->kernel ? id->kernel : kernel);
	put_field(&s, in->tu, in->tu_len);
	put_str(&s, in->filename);
	snprintf(line, sizeof(line), "%d", in->first_line);
	put_str(&s, line);
	put_list(&s, in->defines);
	put_list(&s, in->cflags);
	put_str(&s, in->variant);
	pl_sha256_final(&s, key);
}

char *pl_cache_entry_path(const char *dir, const unsigned char key[PL_SHA256_LEN])
{
	char hex[PL_SHA256_HEX_LEN + 1], *path;

	pl_sha256_hex(key, hex);
	if (asprintf(&path, "%s/%.2s/%s.obj", dir, hex, hex + 2) < 0)
		return NULL;
	return path;
}

/* --- files ----------------------------------------------------------------- */

/* PATH opened for reading if it is a regular file: a FIFO where an entry
 * or a header should be would block the run forever (opening it does not
 * wait, with O_NONBLOCK), a device would be read without end. Returns the
 * fd or -errno (-EINVAL: not a regular file). */
static int open_regular(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int err = S_ISREG(st.st_mode) ? -errno : -EINVAL;
		close(fd);
		return err;
	}
	return fd;
}

/* SHA-256 of the file at PATH; 0 or a negative errno. */
static int hash_file(const char *path, unsigned char out[PL_SHA256_LEN])
{
	unsigned char buf[65536];
	struct pl_sha256 s;
	int fd = open_regular(path);
	ssize_t n;

	if (fd < 0)
		return fd;
	pl_sha256_init(&s);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		pl_sha256_update(&s, buf, (size_t)n);
	}
	close(fd);
	pl_sha256_final(&s, out);
	return 0;
}

/* The whole file at PATH, malloc'd; 0 or a negative errno. */
static int read_file(const char *path, unsigned char **data, size_t *len)
{
	int fd = open_regular(path), err = 0;
	unsigned char *buf = NULL;
	struct stat st;
	size_t got = 0;

	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			goto out;
		}
		if (r == 0)
			break;          /* shrank under us: the checks below say so */
		got += (size_t)r;
	}
	*data = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

/* mkdir -p, new directories MODE. */
static int make_dirs(const char *dir, mode_t mode)
{
	char *p = strdup(dir);
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s && *s != '/')
			continue;
		char c = *s;

		*s = '\0';
		if (mkdir(p, mode) && errno != EEXIST) {
			err = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return err;
}

/* --- reading an entry ------------------------------------------------------- */

/* The next dependency of the list at *D (before END): its path into DEP
 * (NUL-terminated), its SHA-256 at *SUM. Returns 1, 0 at the end, or -1
 * for a malformed list. */
static int next_dep(const unsigned char **d, const unsigned char *end, char dep[PATH_MAX],
		    const unsigned char **sum)
{
	uint32_t plen;

	if (*d == end)
		return 0;
	if ((size_t)(end - *d) < sizeof(plen) + PL_SHA256_LEN)
		return -1;
	memcpy(&plen, *d, sizeof(plen));
	if (plen >= PATH_MAX || plen > (size_t)(end - *d) - sizeof(plen) - PL_SHA256_LEN)
		return -1;
	*sum = *d + sizeof(plen);
	memcpy(dep, *d + sizeof(plen) + PL_SHA256_LEN, plen);
	dep[plen] = '\0';
	*d += sizeof(plen) + PL_SHA256_LEN + plen;
	return 1;
}

int pl_cache_parse(unsigned char *buf, size_t len, const unsigned char key[PL_SHA256_LEN],
		   struct pl_cache_entry *e, char *why, size_t whylen)
{
	unsigned char sum[PL_SHA256_LEN];
	struct entry_hdr hdr;
	size_t off = sizeof(hdr);

	if (len < sizeof(hdr)) {
		snprintf(why, whylen, "corrupt entry: truncated header");
		return -EBADMSG;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	if (memcmp(hdr.magic, ENTRY_MAGIC, sizeof(hdr.magic)) || hdr.format != ENTRY_FORMAT ||
	    hdr.hdr_len != sizeof(hdr)) {
		snprintf(why, whylen, "corrupt entry: not a format %u entry", ENTRY_FORMAT);
		return -EBADMSG;
	}
	if (memcmp(hdr.key, key, PL_SHA256_LEN)) {
		snprintf(why, whylen, "corrupt entry: another key's");
		return -EBADMSG;
	}
	if (hdr.deps_len > len - off || hdr.diag_len > len - off - hdr.deps_len ||
	    hdr.obj_len != len - off - hdr.deps_len - hdr.diag_len || !hdr.obj_len) {
		/* The sum of the three may wrap: print it as the header has it. */
		snprintf(why, whylen, "corrupt entry: %zu bytes, the header says %llu + %llu + %llu",
			 len, (unsigned long long)hdr.deps_len, (unsigned long long)hdr.diag_len,
			 (unsigned long long)hdr.obj_len);
		return -EBADMSG;
	}
	memset(((struct entry_hdr *)buf)->meta_sha, 0, PL_SHA256_LEN);
	pl_sha256(buf, off + hdr.deps_len + hdr.diag_len, sum);
	if (memcmp(sum, hdr.meta_sha, PL_SHA256_LEN)) {
		snprintf(why, whylen, "corrupt entry: metadata checksum mismatch");
		return -EBADMSG;
	}
	pl_sha256(buf + off + hdr.deps_len + hdr.diag_len, hdr.obj_len, sum);
	if (memcmp(sum, hdr.obj_sha, PL_SHA256_LEN)) {
		snprintf(why, whylen, "corrupt entry: object checksum mismatch");
		return -EBADMSG;
	}
	e->deps = buf + off;
	e->deps_len = hdr.deps_len;
	e->diag = (const char *)buf + off + hdr.deps_len;
	e->diag_len = hdr.diag_len;
	e->obj = buf + off + hdr.deps_len + hdr.diag_len;
	e->obj_len = hdr.obj_len;

	/* The list must be whole: NDEPS entries, filling it exactly. */
	const unsigned char *d = e->deps, *end = d + e->deps_len, *dsum;
	char dep[PATH_MAX];
	uint64_t n = 0;
	int r;
	while ((r = next_dep(&d, end, dep, &dsum)) == 1)
		n++;
	if (r < 0 || n != hdr.ndeps) {
		snprintf(why, whylen, "corrupt entry: bad dependency list");
		return -EBADMSG;
	}
	return 0;
}

int pl_cache_read(const char *path, const unsigned char key[PL_SHA256_LEN],
		  struct pl_compile_result *res, char *why, size_t whylen)
{
	unsigned char *buf = NULL, sum[PL_SHA256_LEN];
	struct pl_cache_entry e;
	size_t len = 0, names_len = 0;
	char *names = NULL;
	FILE *names_f = NULL;
	int err;

	err = read_file(path, &buf, &len);
	if (err) {
		snprintf(why, whylen, "%s", err == -ENOENT ? "no entry" : err == -EINVAL ?
			 "the entry is not a regular file" : strerror(-err));
		return err;
	}
	err = pl_cache_parse(buf, len, key, &e, why, whylen);
	if (err)
		goto out;

	/* The files clang read must be as they were; RES gets their names. */
	const unsigned char *d = e.deps, *end = d + e.deps_len, *dsum;
	char dep[PATH_MAX];
	names_f = open_memstream(&names, &names_len);
	if (!names_f) {
		snprintf(why, whylen, "%s", strerror(errno));
		err = -errno;
		goto out;
	}
	while (next_dep(&d, end, dep, &dsum) == 1) {
		int herr = hash_file(dep, sum);
		if (herr) {
			snprintf(why, whylen, "%s: %s", dep, herr == -EINVAL ? "not a regular file" :
				 strerror(-herr));
			err = -ESTALE;
			goto out;
		}
		if (memcmp(sum, dsum, PL_SHA256_LEN)) {
			snprintf(why, whylen, "%s changed", dep);
			err = -ESTALE;
			goto out;
		}
		fwrite(dep, 1, strlen(dep) + 1, names_f);
	}
	if (fclose(names_f)) {
		names_f = NULL;
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		err = -ENOMEM;
		goto out;
	}
	names_f = NULL;

	char *diag = malloc(e.diag_len + 1);
	void *obj = malloc(e.obj_len);
	if (!diag || !obj) {
		free(diag);
		free(obj);
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		err = -ENOMEM;
		goto out;
	}
	memcpy(diag, e.diag, e.diag_len);
	diag[e.diag_len] = '\0';
	memcpy(obj, e.obj, e.obj_len);
	res->diag = diag;
	res->obj = obj;
	res->obj_len = e.obj_len;
	if (names_len) {
		res->deps = names;
		res->deps_len = names_len;
		names = NULL;
	}
out:
	if (names_f)
		fclose(names_f);
	free(names);
	free(buf);
	return err;
}

/* --- writing an entry ------------------------------------------------------- */

static bool modified_since(const struct stat *st, const struct timespec *since)
{
	return st->st_mtim.tv_sec > since->tv_sec ||
	       (st->st_mtim.tv_sec == since->tv_sec && st->st_mtim.tv_nsec >= since->tv_nsec);
}

int pl_cache_write(const char *path, const unsigned char key[PL_SHA256_LEN],
		   const struct pl_compile_result *res, const struct timespec *since,
		   char *why, size_t whylen)
{
	struct entry_hdr hdr = { .format = ENTRY_FORMAT, .hdr_len = sizeof(hdr) };
	char *deps = NULL, *tmp = NULL, *dir = NULL;
	const char *diag = res->diag ? res->diag : "";
	size_t deps_len = 0, diag_len = strlen(diag);
	FILE *f = open_memstream(&deps, &deps_len);
	struct pl_sha256 s;
	int fd = -1, err = 0;

	if (!f) {
		snprintf(why, whylen, "%s", strerror(errno));
		return -errno;
	}
	/* The dependencies, each with the hash of what it holds now. */
	for (size_t off = 0; res->deps && off < res->deps_len;) {
		const char *dep = res->deps + off;
		size_t plen = strnlen(dep, res->deps_len - off);
		unsigned char sum[PL_SHA256_LEN];
		uint32_t plen32 = (uint32_t)plen;
		struct stat st;

		off += plen + 1;
		if (!plen)
			continue;
		if (plen >= PATH_MAX) {
			snprintf(why, whylen, "dependency path too long: %.64s...", dep);
			err = -ENAMETOOLONG;
			break;
		}
		if (stat(dep, &st) || (err = hash_file(dep, sum))) {
			snprintf(why, whylen, "%s: %s", dep, strerror(err ? -err : errno));
			err = -EAGAIN;
			break;
		}
		if (since && modified_since(&st, since)) {
			snprintf(why, whylen, "%s changed during the compile", dep);
			err = -EAGAIN;
			break;
		}
		fwrite(&plen32, sizeof(plen32), 1, f);
		fwrite(sum, PL_SHA256_LEN, 1, f);
		fwrite(dep, 1, plen, f);
		hdr.ndeps++;
	}
	if (fclose(f) && !err) {
		err = -errno;
		snprintf(why, whylen, "%s", strerror(-err));
	}
	if (err)
		goto out;

	memcpy(hdr.magic, ENTRY_MAGIC, sizeof(hdr.magic));
	memcpy(hdr.key, key, PL_SHA256_LEN);
	hdr.deps_len = deps_len;
	hdr.diag_len = diag_len;
	hdr.obj_len = res->obj_len;
	pl_sha256(res->obj, res->obj_len, hdr.obj_sha);
	pl_sha256_init(&s);
	pl_sha256_update(&s, &hdr, sizeof(hdr));
	pl_sha256_update(&s, deps, deps_len);
	pl_sha256_update(&s, diag, diag_len);
	pl_sha256_final(&s, hdr.meta_sha);

	/* A temporary file beside the entry, then rename(): readers see the
	 * old entry or the new one, whole. */
	const char *slash = strrchr(path, '/');
	dir = strndup(path, slash ? (size_t)(slash - path) : 0);
	if (!dir || asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		tmp = NULL;
		err = -ENOMEM;
		snprintf(why, whylen, "%s", strerror(ENOMEM));
		goto out;
	}
	if (*dir && (err = make_dirs(dir, 0700))) {
		snprintf(why, whylen, "cannot create %s: %s", dir, strerror(-err));
		goto out;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot create a file in %s: %s", dir, strerror(-err));
		goto out;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto fail_write;
	}
	fwrite(&hdr, sizeof(hdr), 1, f);
	fwrite(deps, 1, deps_len, f);
	fwrite(diag, 1, diag_len, f);
	fwrite(res->obj, 1, res->obj_len, f);
	if (ferror(f) | fclose(f)) {
		err = -(errno ?: EIO);
		goto fail_write;
	}
	if (rename(tmp, path)) {
		err = -errno;
		goto fail_write;
	}
	goto out;
fail_write:
	snprintf(why, whylen, "cannot write %s: %s", tmp, strerror(-err));
	unlink(tmp);
out:
	free(tmp);
	free(dir);
	free(deps);
	return err;
}

/* --- pl_compile()'s use ---------------------------------------------------- */

/* The cache cannot be used at all: say so once, then compile quietly. */
static void unusable(const char *what)
{
	if (!told_unusable)
		pl_log(PL_LOG_INFO, "cache: %s; compiling without the cache", what);
	told_unusable = true;
}

/* DIR is not this user's: an object from it would be loaded with our
 * capabilities, and one we store could be changed. Say so, always, and
 * never use it in this process. */
static void refuse(const char *why)
{
	if (!refused)
		pl_log(PL_LOG_WARN, "cache: %s: refused, as an object read from it would be "
		       "loaded with your privileges; compiling without the cache (set "
		       "PKTLUA_CACHE_DIR to a directory of your own, or use --no-cache)", why);
	refused = true;
}

/* Whether DIR is usable: 0, or a negative errno, refused or said. ENOENT is
 * usable: the first store makes it. */
static int check_dir(const char *dir)
{
	char why[PATH_MAX + 160];
	int err = pl_cache_dir_check(dir, why, sizeof(why));

	if (err == -EPERM || err == -ENOTDIR)
		refuse(why);
	else if (err && err != -ENOENT)
		unusable(why);
	return err == -ENOENT ? 0 : err;
}

int pl_cache_get(struct pl_cache_req *req, const struct pl_cache_input *in,
		 struct pl_compile_result *res)
{
	char why[PATH_MAX + 64];
	char *dir;
	int err;

	memset(req, 0, sizeof(*req));
	if (!enabled || refused)
		return -ENOENT;
	dir = pl_cache_dir();
	if (!dir) {
		unusable("no directory for it (set PKTLUA_CACHE_DIR, XDG_CACHE_HOME or HOME)");
		return -ENOENT;
	}
	if (check_dir(dir)) {
		free(dir);
		return -ENOENT;
	}
	pl_cache_key(NULL, in, req->key);
	req->path = pl_cache_entry_path(dir, req->key);
	req->dir = dir;
	if (!req->path)
		return -ENOMEM;
	req->filename = in->filename ? in->filename : "<snippet>";
	clock_gettime(CLOCK_REALTIME_COARSE, &req->start);

	err = pl_cache_read(req->path, req->key, res, why, sizeof(why));
	if (!err) {
		pl_log(PL_LOG_INFO, "cache hit %s: %s", req->filename, req->path);
		/* Nothing to store after a hit. */
		pl_cache_req__free(req);
		return 0;
	}
	pl_log(PL_LOG_INFO, "cache miss %s: %s (%s)", req->filename, req->path, why);
	return err;
}

void pl_cache_put(struct pl_cache_req *req, const struct pl_compile_result *res)
{
	char why[PATH_MAX + 64];
	int err;

	if (!req->path || !res->obj)
		return;
	/* Made 0700 if missing, then checked (again): someone else may have
	 * made it first. */
	err = make_dirs(req->dir, 0700);
	if (err) {
		snprintf(why, sizeof(why), "cannot create %s: %s", req->dir, strerror(-err));
		unusable(why);
		return;
	}
	if (check_dir(req->dir))
		return;
	err = pl_cache_write(req->path, req->key, res, &req->start, why, sizeof(why));
	if (!err)
		pl_log(PL_LOG_INFO, "cache store %s: %s", req->filename, req->path);
	else if (err == -EAGAIN)
		/* This compile's own business (a header changed or vanished
		 * meanwhile): the next run stores. */
		pl_log(PL_LOG_INFO, "cache store %s skipped: %s", req->filename, why);
	else
		unusable(why);
}

void pl_cache_req__free(struct pl_cache_req *req)
{
	if (!req)
		return;
	free(req->path);
	free(req->dir);
	req->path = req->dir = NULL;
}
