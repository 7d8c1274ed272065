/* cache.h — the on-disk compile cache: BPF objects by everything that made
 * them, so a second run of a script forks no compiler and maps no LLVM.
 *
 * Where: $PKTLUA_CACHE_DIR if set, else $XDG_CACHE_HOME/pktlua, else
 * $HOME/.cache/pktlua (made 0700 on the first store). One file per entry,
 * <dir>/<first 2 hex digits of the key>/<the other 62>.obj.
 *
 * The key is the SHA-256 of: a key format tag, pktlua's version, LLVM's
 * version, the build digest (embedded headers and the compiler's sources,
 * made at build time), the kernel's identity (uname release, version and
 * machine, and the size of /sys/kernel/btf/vmlinux or "no-btf": cheap, and
 * what vmlinux.h and CO-RE see), and the compile input: the translation unit
 * as the compiler builds it (prelude, #line, snippet, license), the file name,
 * the first line, the defines, the extra clang flags and the compiler's
 * knobs from the environment (PKTLUA_VMLINUX). Not the working
 * directory: it only reaches DWARF's comp_dir, never the program.
 *
 * The real files clang read (headers next to the script or under -I, clang's
 * own stddef.h, ...) are recorded in the entry with their SHA-256; a lookup
 * re-hashes each, and a change or a missing file is a miss. (A header that
 * would now be found earlier on the search path, shadowing the recorded one,
 * is not noticed: use --no-cache or clear the cache then.)
 *
 * An entry holds a header (magic, format, key, lengths, the SHA-256 of the
 * object and of the metadata), the dependencies, clang's diagnostics text
 * (warnings print on a hit as on a miss) and the object. It is written to a
 * temporary file in its directory and rename()d, so readers never see part of
 * one and two writers of one key both succeed. A lookup checks everything; a
 * corrupt or truncated entry is a miss and is replaced by the next store.
 *
 * The cache is per user: a directory that is not the user's own (another
 * owner, or writable by group or others) is refused, with a warning, and
 * pktlua compiles without it (pl_cache_dir_check()).
 *
 * The cache never fails a compile: when it cannot be used, pktlua compiles
 * and says why once (at -v; a refused directory always). */
#ifndef PKTLUA_CACHE_H
#define PKTLUA_CACHE_H

#include "base/sha256.h"
#include "compile/compiler.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Off by default (library users and unit tests compile afresh); the pktlua
 * command turns it on unless --no-cache. */
void pl_cache_set_enabled(bool enabled);
bool pl_cache_enabled(void);

/* The directory the environment names (see above), malloc'd; NULL with errno
 * ENOENT when neither PKTLUA_CACHE_DIR, XDG_CACHE_HOME nor HOME is set. */
char *pl_cache_dir(void);

/* Whether DIR may serve as this user's cache: an object read from it is
 * loaded into the kernel with pktlua's capabilities, so a directory another
 * user could write into is refused: DIR must be a directory owned by the
 * effective uid and not writable by group or others. Returns 0, -EPERM (a
 * foreign owner or a shared directory) or -ENOTDIR with WHY saying whose it
 * is, or the negative errno of stat() (-ENOENT: not there yet; made 0700
 * by the first store, and checked again then). */
int pl_cache_dir_check(const char *dir, char *why, size_t whylen);

/* This kernel's identity as it goes into the key, in BUF: uname's release,
 * version and machine, the size of its BTF and its GNU build ID. */
void pl_cache_kernel_ident(char *buf, size_t len);

/* What, besides the compile input, makes an object: NULL fields (or a NULL
 * struct) mean this build and this kernel. Tests vary them. */
struct pl_cache_ident {
	const char *pktlua_version;
	const char *llvm_version;
	const unsigned char *build_digest;   /* PL_SHA256_LEN bytes */
	const char *kernel;
};

/* The compile input, exactly as the compiler uses it. */
struct pl_cache_input {
	const char *tu;                      /* the translation unit */
	size_t tu_len;
	const char *filename;
	int first_line;
	const char *const *defines;          /* NULL-terminated, may be NULL */
	const char *const *cflags;
	/* Anything else that changes the object ("PKTLUA_VMLINUX=full"); may
	 * be NULL. */
	const char *variant;
};

void pl_cache_key(const struct pl_cache_ident *id, const struct pl_cache_input *in,
		  unsigned char key[PL_SHA256_LEN]);

/* "<dir>/<2 hex>/<62 hex>.obj", malloc'd, or NULL (ENOMEM). */
char *pl_cache_entry_path(const char *dir, const unsigned char key[PL_SHA256_LEN]);

/* Read the entry at PATH for KEY into RES (obj, obj_len, diag, and deps: the
 * recorded files, as a compile gives them). Returns 0, or
 * -ENOENT (no entry), -EBADMSG (corrupt, truncated or another key's entry),
 * -ESTALE (a dependency changed or is gone), another negative errno; WHY
 * says which in a few words. RES is untouched unless 0 comes back. */
int pl_cache_read(const char *path, const unsigned char key[PL_SHA256_LEN],
		  struct pl_compile_result *res, char *why, size_t whylen);

/* An entry's parts, pointing into the buffer pl_cache_parse() checked. */
struct pl_cache_entry {
	const unsigned char *deps;   /* the dependency list (paths and SHA-256s) */
	size_t deps_len;
	const char *diag;            /* compiler warnings, not NUL-terminated */
	size_t diag_len;
	const void *obj;
	size_t obj_len;
};

/* Check the entry file's bytes BUF (LEN; its checksum field is zeroed in
 * the process) for KEY: the header, the lengths (no overflow), both
 * checksums, the dependency list's shape. Files are not looked at (that is
 * pl_cache_read's). Returns 0 with E filled, or -EBADMSG with WHY. */
int pl_cache_parse(unsigned char *buf, size_t len, const unsigned char key[PL_SHA256_LEN],
		   struct pl_cache_entry *e, char *why, size_t whylen);

/* Write RES (object and diagnostics) and the dependencies DEPS (DEPS_LEN
 * bytes of NUL-terminated paths, as pl_compile_result's deps) as the entry
 * at PATH for KEY, making its directories (0700) as needed. When SINCE is
 * not NULL, a dependency modified at or after it (it changed while it was
 * compiled) makes this -EAGAIN instead: the entry could describe a file
 * that no longer is; so does a dependency that is gone. Returns 0 or a
 * negative errno; WHY says what failed. */
int pl_cache_write(const char *path, const unsigned char key[PL_SHA256_LEN],
		   const struct pl_compile_result *res, const struct timespec *since,
		   char *why, size_t whylen);

/* pl_compile()'s use: one request per compile. */
struct pl_cache_req {
	char *path;                          /* the entry; NULL: cache not in use */
	char *dir;                           /* the cache directory */
	const char *filename;
	unsigned char key[PL_SHA256_LEN];
	struct timespec start;               /* CLOCK_REALTIME_COARSE at lookup */
};

/* Look IN up. Returns 0 on a hit with RES filled (obj, diag, deps), or a
 * negative errno on a miss (logged at -v with the reason) or when the cache
 * is off. REQ remembers the key for pl_cache_put(); release it with
 * pl_cache_req__free() either way. */
int pl_cache_get(struct pl_cache_req *req, const struct pl_cache_input *in,
		 struct pl_compile_result *res);

/* Store the successful compile RES under REQ's key (nothing if the cache is
 * off or the lookup hit). Failures are logged, never returned. */
void pl_cache_put(struct pl_cache_req *req, const struct pl_compile_result *res);

void pl_cache_req__free(struct pl_cache_req *req);

#endif
