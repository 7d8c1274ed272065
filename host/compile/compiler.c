/* compiler.c — pl_compile(): the translation unit, the headers and the
 * clang arguments for a snippet, compiled in a forked child (child.c), with
 * the compile cache in front.
 *
 * The parent assembles the translation unit (prelude, #line-mapped snippet,
 * default license), the in-memory headers and the cc1 arguments; the child
 * loads the shim (clang_shim.cpp) and compiles.
 *
 * Why a child: LLVM must never be mapped into the host (a crash or a
 * report_fatal_error() in the backend would take the user's script down with
 * it), LLVM 19 keeps a static GEPGlobals map in BPFAbstractMemberAccess that
 * makes the second CO-RE compile in one process crash, and a -disable-free
 * compile leaks ~18 MB. All three die with the child. */
#include "compile/compiler.h"

#include "base/embedded.h"
#include "base/log.h"
#include "compile/cache.h"
#include "compile/child.h"
#include "compile/clang_shim.h"
#include "compile/uapi.h"
#include "compile/vmlinux.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Where the headers live in clang's view. */
#define INCLUDE_ROOT "/pktlua/include"
#define SRC_ROOT "/pktlua/src"

/* The kernel architecture libbpf's bpf_tracing.h reads pt_regs for. */
#if defined(__x86_64__) || defined(__i386__)
#define TARGET_ARCH "x86"
#elif defined(__aarch64__)
#define TARGET_ARCH "arm64"
#elif defined(__s390x__)
#define TARGET_ARCH "s390"
#elif defined(__powerpc__)
#define TARGET_ARCH "powerpc"
#elif defined(__riscv)
#define TARGET_ARCH "riscv"
#elif defined(__loongarch__)
#define TARGET_ARCH "loongarch"
#elif defined(__arm__)
#define TARGET_ARCH "arm"
#else
#error "unknown architecture: add its __TARGET_ARCH_ name"
#endif

static bool mem_contains(const char *hay, size_t len, const char *needle)
{
	return hay && memmem(hay, len, needle, strlen(needle));
}

/* A pruned vmlinux.h is made by the parent while the child loads the shim
 * (both take 10–20 ms), so the child neither waits for it nor inherits the
 * kernel BTF parsed for it (~8 MB less peak RSS). compile_once() sets this
 * up around run_child(): the parent sends the header right after fork()
 * (late_send), the child takes it after loading the shim (late_receive), as
 * an int64_t length (a negative errno: it could not be made) and the bytes,
 * over a socketpair (MSG_NOSIGNAL: a child that died early must not SIGPIPE
 * the host). */
static struct {
	int fd[2];                      /* the child's end, the parent's; -1: unused */
	struct pl_cc_input *in;         /* its last file is vmlinux.h, to fill */
	const char *tu;
	size_t tu_len;
	const char *const *defines;
	int err;                        /* positive errno of making it, in the parent */
} late = { .fd = { -1, -1 } };


/* Write NAME as the body of a C string literal. */
static void put_c_string(FILE *f, const char *name)
{
	for (const char *p = name; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p == '\n' ? ' ' : *p, f);
	}
}

#define MAX_TYPE_REFS 256
/* A ".debug_" name: libbpf skips DWARF sections without a word, where an
 * unknown data section would cost a "skipping unrecognized data section"
 * line at -v for every object. Nothing strips the objects pktlua compiles,
 * so the section stays as long as the BTF's DATASEC naming it. */
#define TYPE_REF_SECTION ".debug_pktlua_btf"

static bool is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* Why: clang puts a type into the object's BTF only when a global, a map or
 * a function signature uses it; a record the code only fills through a local
 * pointer (struct event *e = bpf_ringbuf_reserve(...)) has none, and
 * bpf.on(map, fn, "struct event") could not decode it. So every struct and
 * union tag the snippet names gets a pointer to it in a section libbpf
 * ignores (it loads no map for it): the type's BTF is in the object, whether
 * the code defines it, a header does, or vmlinux.h. Declaring "struct NAME *"
 * at file scope before the code is harmless: it names the same tag the code
 * completes (or a new, never completed one: an empty BTF forward). Tags
 * written both as struct and as union are left alone. Comments and literals
 * are skipped. */
static void write_type_refs(FILE *f, const char *s, size_t len)
{
	struct { const char *kw, *name; size_t len; bool clash; } refs[MAX_TYPE_REFS];
	size_t n = 0, k = 0;
	const char *kw = NULL;

	for (size_t i = 0; i < len;) {
		char c = s[i];

		if (c == '/' && i + 1 < len && (s[i + 1] == '*' || s[i + 1] == '/')) {
			const char *end = s[i + 1] == '*' ? memmem(s + i + 2, len - i - 2, "*/", 2)
							  : memchr(s + i, '\n', len - i);
			i = end ? (size_t)(end - s) + (s[i + 1] == '*' ? 2 : 1) : len;
		} else if (c == '"' || c == '\'') {
			for (i++; i < len && s[i] != c && s[i] != '\n'; i++)
				if (s[i] == '\\')
					i++;
			i++;
			kw = NULL;
		} else if (is_ident_start(c) || (c >= '0' && c <= '9')) {
			size_t start = i;

			while (i < len && is_ident_char(s[i]))
				i++;
			if (c >= '0' && c <= '9') {
				kw = NULL;
				continue;
			}
			const char *w = s + start;
			size_t wl = i - start;
			if (kw && !strncmp(w, "__attribute", 11)) {
				/* struct __attribute__((packed)) NAME: skip the ((...)) */
				int depth = 0;
				while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
					i++;
				for (; i < len; i++) {
					depth += s[i] == '(';
					depth -= s[i] == ')';
					if (!depth || s[i] == ';' || s[i] == '{')
						break;
				}
				if (i < len && s[i] == ')')
					i++;
				continue;
			}
			if (kw) {
				size_t j;
				for (j = 0; j < n; j++)
					if (refs[j].len == wl && !memcmp(refs[j].name, w, wl))
						break;
				if (j < n && refs[j].kw != kw)
					refs[j].clash = true;
				else if (j == n && n < MAX_TYPE_REFS)
					refs[n++] = (typeof(refs[0])){ kw, w, wl, false };
				kw = NULL;
			} else if ((wl == 6 && !memcmp(w, "struct", 6)) || (wl == 5 && !memcmp(w, "union", 5))) {
				kw = wl == 6 ? "struct" : "union";
			} else {
				kw = NULL;
			}
		} else {
			if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
				kw = NULL;
			i++;
		}
	}
	for (size_t j = 0; j < n; j++)
		if (!refs[j].clash)
			fprintf(f, "static %s %.*s *const __pktlua_btf_%zu __attribute__((used, "
				"section(\"" TYPE_REF_SECTION "\"))) = 0;\n",
				refs[j].kw, (int)refs[j].len, refs[j].name, k++);
}

/* The translation unit: prelude, the #line-mapped snippet, and a GPL
 * license when the code has none (so GPL-only helpers work, as in BCC). */
static char *make_source(const char *src, size_t len, const struct pl_compile_opts *opts,
			 const char *filename, size_t *out_len)
{
	const char *prelude = opts ? opts->prelude : NULL;
	int first_line = opts && opts->first_line > 0 ? opts->first_line : 1;
	char *buf = NULL;
	size_t buf_len = 0;
	FILE *f = open_memstream(&buf, &buf_len);

	if (!f)
		return NULL;
	/* The license goes first: after the snippet, an unfinished declaration
	 * at its end would make clang report errors in our line instead. */
	if (!mem_contains(src, len, "\"license\"") &&
	    !(prelude && strstr(prelude, "\"license\"")))
		fputs("#line 1 \"<generated>\"\n"
		      "char _pktlua_license[] __attribute__((section(\"license\"), used)) = \"GPL\";\n",
		      f);
	fputs("#line 1 \"<generated>\"\n", f);
	write_type_refs(f, src, len);
	if (prelude)
		fprintf(f, "#line 1 \"<generated>\"\n%s\n", prelude);
	fprintf(f, "#line %d \"", first_line);
	put_c_string(f, filename);
	fputs("\"\n", f);
	fwrite(src, 1, len, f);
	fputc('\n', f);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	*out_len = buf_len;
	return buf;
}

/* "/pktlua/src/<base of FILENAME>.c", for clang's and DWARF's idea of the
 * main file (diagnostics name FILENAME itself, through #line). */
static char *make_main_path(const char *filename)
{
	const char *base = strrchr(filename, '/');
	char *path;

	base = base ? base + 1 : filename;
	if (asprintf(&path, SRC_ROOT "/%s.c", *base ? base : "snippet") < 0)
		return NULL;
	for (char *p = path + sizeof(SRC_ROOT); *p; p++)
		if (*p == '<' || *p == '>' || *p == ' ' || *p == '/')
			*p = '_';
	return path;
}

/* The snippet at the line numbers #line gives it: FIRST_LINE - 1 empty
 * lines, then SRC. Served to clang under the script's name (see line_file in
 * clang_shim.h) so backend errors point at the right line. Only clang's view
 * of the file system has it; the real script is never read. */
static char *make_stand_in(const char *src, size_t len, int first_line, size_t *out_len)
{
	size_t pad = first_line > 1 ? (size_t)first_line - 1 : 0;
	char *buf = malloc(pad + len + 1);

	if (!buf)
		return NULL;
	memset(buf, '\n', pad);
	memcpy(buf + pad, src, len);
	buf[pad + len] = '\0';
	*out_len = pad + len;
	return buf;
}

static size_t count_list(const char *const *list)
{
	size_t n = 0;

	while (list && list[n])
		n++;
	return n;
}

/* Which <vmlinux.h> clang sees. */
enum vmlinux_mode { VMLINUX_NONE, VMLINUX_PRUNED, VMLINUX_FULL };

/* The pruned vmlinux.h for the translation unit TU and the -D macros (which can name
 * types too); malloc'd, or NULL with errno set. */
static char *pruned_vmlinux(const char *tu, size_t tu_len, const char *const *defines,
			    size_t *len)
{
	size_t n = 0, ndefines = count_list(defines);
	struct pl_vmlinux_text *texts = calloc(1 + ndefines, sizeof(*texts));
	char *text;

	if (!texts)
		return NULL;
	texts[n++] = (struct pl_vmlinux_text){ tu, tu_len };
	for (size_t i = 0; i < ndefines; i++)
		texts[n++] = (struct pl_vmlinux_text){ defines[i], strlen(defines[i]) };
	text = pl_vmlinux_h_pruned(texts, n, len);
	free(texts);
	return text;
}

/* The full vmlinux.h for TU and the -D macros: without the types they
 * define themselves (*OWNED then holds it, for the caller to free). */
static const char *full_vmlinux(const char *tu, size_t tu_len, const char *const *defines,
				size_t *len, char **owned)
{
	size_t n = 0, ndefines = count_list(defines);
	struct pl_vmlinux_text *texts = calloc(1 + ndefines, sizeof(*texts));
	const char *text;

	*owned = NULL;
	if (!texts)
		return NULL;
	texts[n++] = (struct pl_vmlinux_text){ tu, tu_len };
	for (size_t i = 0; i < ndefines; i++)
		texts[n++] = (struct pl_vmlinux_text){ defines[i], strlen(defines[i]) };
	text = pl_vmlinux_h_full(texts, n, len, owned);
	free(texts);
	return text;
}

/* The parent, after fork(): make the pruned header, send it. */
static void late_send(void)
{
	size_t len = 0;
	char *text;
	int64_t n;

	if (late.fd[1] < 0)
		return;
	close(late.fd[0]);
	late.fd[0] = -1;
	text = pruned_vmlinux(late.tu, late.tu_len, late.defines, &len);
	late.err = text ? 0 : errno ?: ENOMEM;
	n = text ? (int64_t)len : -late.err;
	for (size_t off = 0, total = sizeof(n) + (text ? len : 0); off < total;) {
		const char *p = off < sizeof(n) ? (const char *)&n + off : text + off - sizeof(n);
		size_t chunk = off < sizeof(n) ? sizeof(n) - off : total - off;
		ssize_t w = send(late.fd[1], p, chunk, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;  /* the child is gone: waitpid() tells why */
		off += (size_t)w;
	}
	free(text);
	close(late.fd[1]);
	late.fd[1] = -1;
}

static int read_full(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

/* The child, after loading the shim: fill in vmlinux.h, or drop it (clang
 * then says "'vmlinux.h' file not found" and the parent adds why). */
static void late_receive(void)
{
	struct pl_cc_file *f;
	char *buf = NULL;
	int64_t n = -1;

	if (late.fd[0] < 0)
		return;
	close(late.fd[1]);
	f = (struct pl_cc_file *)&late.in->files[late.in->nfiles - 1];
	if (!read_full(late.fd[0], &n, sizeof(n)) && n >= 0 && (buf = malloc(n + 1)) &&
	    !read_full(late.fd[0], buf, n)) {
		buf[n] = '\0';
		f->data = buf;
		f->len = n;
		return;
	}
	late.in->nfiles--;
}

static const struct pl_cc_child_hooks late_hooks = {
	.parent_after_fork = late_send,
	.child_before_compile = late_receive,
};

static int compile_once(const char *src, size_t len, const struct pl_compile_opts *opts,
			enum vmlinux_mode vmlinux_mode, struct pl_compile_result *res)
{
	const char *filename = opts && opts->filename ? opts->filename : "<snippet>";
	const char *const *defines = opts ? opts->defines : NULL;
	const char *const *cflags = opts ? opts->cflags : NULL;
	struct pl_cc_input in = { .abi = PL_CC_ABI_VERSION };
	struct pl_cc_file *files = NULL;
	const char **args = NULL;
	char **owned = NULL;    /* strings we allocated */
	size_t nowned = 0, nfiles = 0, nargs = 0;
	char *tu = NULL, *main_path = NULL, *stand_in = NULL;
	const char *vmlinux = NULL;
	char *vmlinux_owned = NULL;
	size_t vmlinux_len = 0, stand_in_len = 0;
	int err = 0, vmlinux_err = 0;

	tu = make_source(src, len, opts, filename, &in.src_len);
	main_path = make_main_path(filename);
	files = calloc(pl_embedded_count + 2, sizeof(*files));
	owned = calloc(pl_embedded_count + count_list(defines) + 2, sizeof(*owned));
	args = calloc(6 + count_list(defines) + count_list(cflags), sizeof(*args));
	if (!tu || !main_path || !files || !owned || !args) {
		err = -ENOMEM;
		goto out;
	}

	/* Headers: everything embedded under include/, and vmlinux.h. */
	for (size_t i = 0; i < pl_embedded_count; i++) {
		const struct pl_embedded_file *e = &pl_embedded_files[i];

		if (strncmp(e->name, "include/", 8))
			continue;
		if (asprintf(&owned[nowned], INCLUDE_ROOT "/%s", e->name + 8) < 0) {
			owned[nowned] = NULL;
			err = -ENOMEM;
			goto out;
		}
		files[nfiles++] = (struct pl_cc_file){ owned[nowned++], (const char *)e->data, e->len };
	}
	if (vmlinux_mode == VMLINUX_FULL) {
		vmlinux = full_vmlinux(tu, in.src_len, defines, &vmlinux_len, &vmlinux_owned);
		if (vmlinux)
			files[nfiles++] = (struct pl_cc_file){ INCLUDE_ROOT "/vmlinux.h", vmlinux,
							       vmlinux_len };
		else
			vmlinux_err = errno;
	}
	/* Best effort: without it backend errors point at the function. */
	stand_in = make_stand_in(src, len, opts ? opts->first_line : 1, &stand_in_len);
	if (stand_in) {
		files[nfiles++] = (struct pl_cc_file){ filename, stand_in, stand_in_len };
		in.line_file = filename;
	}
	/* The pruned vmlinux.h: the last file, made while the child starts. */
	if (vmlinux_mode == VMLINUX_PRUNED) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, late.fd)) {
			err = -errno;
			goto out;
		}
		late.in = &in;
		late.tu = tu;
		late.tu_len = in.src_len;
		late.defines = defines;
		late.err = 0;
		files[nfiles++] = (struct pl_cc_file){ INCLUDE_ROOT "/vmlinux.h", "", 0 };
	}

	/* pktlua's headers (<pktlua/...>, libbpf's <bpf/...>, vmlinux.h, the
	 * UAPI <linux/...>, <asm/...>) come after every -I of the user's, so a
	 * project that ships its own (newer libbpf headers) gets its own, as
	 * with its own build; -idirafter puts them there. */
	args[nargs++] = "-idirafter";
	args[nargs++] = INCLUDE_ROOT;
	in.uapi_dir = INCLUDE_ROOT;
	in.vmlinux_path = INCLUDE_ROOT "/vmlinux.h";
	/* #include "x.h" finds x.h next to the script, as a C user expects (the
	 * snippet's real home, /pktlua/src, holds nothing else). */
	if (opts && opts->filename) {
		const char *slash = strrchr(filename, '/');

		if (!slash)
			owned[nowned] = strdup(".");
		else
			owned[nowned] = strndup(filename, slash == filename ? 1 : slash - filename);
		if (!owned[nowned]) {
			err = -ENOMEM;
			goto out;
		}
		args[nargs++] = "-iquote";
		args[nargs++] = owned[nowned++];
	}
	args[nargs++] = "-D__BPF_TRACING__";
	args[nargs++] = "-D__TARGET_ARCH_" TARGET_ARCH;
	for (size_t i = 0; defines && defines[i]; i++) {
		if (asprintf(&owned[nowned], "-D%s", defines[i]) < 0) {
			owned[nowned] = NULL;
			err = -ENOMEM;
			goto out;
		}
		args[nargs++] = owned[nowned++];
	}
	for (size_t i = 0; cflags && cflags[i]; i++)
		args[nargs++] = cflags[i];

	in.main_path = main_path;
	in.src = tu;
	in.files = files;
	in.nfiles = nfiles;
	in.args = args;
	in.nargs = nargs;
	err = pl_cc_run_child(&in, filename, &late_hooks, res);
	if (vmlinux_mode == VMLINUX_PRUNED) {
		vmlinux = late.err ? NULL : "";        /* only tested for NULL below */
		vmlinux_err = late.err;
	}

	/* The kernel types were wanted but could not be made: say why, since
	 * clang can only say "'vmlinux.h' file not found". */
	if (err == -EINVAL && vmlinux_mode != VMLINUX_NONE && !vmlinux && res->diag &&
	    strstr(res->diag, "'vmlinux.h' file not found")) {
		char *more;

		if (asprintf(&more, "%snote: vmlinux.h is made from /sys/kernel/btf/vmlinux: %s\n",
			     res->diag, strerror(vmlinux_err ?: ENOENT)) >= 0) {
			free(res->diag);
			res->diag = more;
		}
	}
out:
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	free(args);
	free(files);
	for (int i = 0; i < 2; i++) {
		if (late.fd[i] >= 0)
			close(late.fd[i]);
		late.fd[i] = -1;
	}
	free(stand_in);
	free(main_path);
	free(tu);
	free(vmlinux_owned);
	return err;
}

/* -v: the pruned vmlinux.h was not enough (or the code is wrong; the full
 * header decides). Name the first error clang gave with it. */
static void log_vmlinux_fallback(const char *filename, const char *diag)
{
	const char *line = diag ? strstr(diag, "error:") : NULL;
	int n;

	while (line && line > diag && line[-1] != '\n')
		line--;
	line = line ?: diag ?: "";
	n = (int)strcspn(line, "\n");
	pl_log(PL_LOG_INFO, "%s: pruned vmlinux.h was not enough, compiling with the full one (%.*s)",
	       filename, n, line);
}

/* The compile cache's lookup: the key covers the translation unit as
 * compile_once() builds it and the options it uses. PKTLUA_VMLINUX picks
 * another way to serve vmlinux.h (a test and measurement knob): entries made
 * under it stay apart. Returns 0 on a hit (RES filled). */
static int cache_lookup(const char *src, size_t len, const struct pl_compile_opts *opts,
			struct pl_cache_req *req, struct pl_compile_result *res)
{
	const char *filename = opts && opts->filename ? opts->filename : "<snippet>";
	const char *knob = getenv(PL_VMLINUX_ENV);
	struct pl_cache_input in = {
		.filename = filename,
		.first_line = opts && opts->first_line > 0 ? opts->first_line : 1,
		.defines = opts ? opts->defines : NULL,
		.cflags = opts ? opts->cflags : NULL,
	};
	char *tu, *variant = NULL;
	int err;

	if (!pl_cache_enabled())
		return -ENOENT;
	tu = make_source(src, len, opts, filename, &in.tu_len);
	if (knob && *knob && asprintf(&variant, "%s=%s", PL_VMLINUX_ENV, knob) < 0)
		variant = NULL;
	in.tu = tu;
	in.variant = variant;
	err = tu && (variant || !knob || !*knob) ? pl_cache_get(req, &in, res) : -ENOMEM;
	free(variant);
	free(tu);
	return err;
}

/* Is REL ("bpf/bpf_helpers.h", "linux/bpf.h", "vmlinux.h") one of the
 * headers pktlua serves? */
static bool is_builtin_header(const char *rel)
{
	char name[PATH_MAX];

	if (snprintf(name, sizeof(name), "include/%s", rel) < (int)sizeof(name) &&
	    pl_embedded_find(name))
		return true;
	return !strcmp(rel, "vmlinux.h") || pl_uapi_serves(rel);
}

/* -v: a header of the user's (under -I, next to the file) that clang took
 * instead of pktlua's own of the same name. DEPS as pl_compile_result's. */
static void log_shadowing(const char *filename, const char *deps, size_t deps_len)
{
	if (pl_log_get_level() < PL_LOG_INFO)
		return;
	for (size_t off = 0; deps && off < deps_len;) {
		const char *dep = deps + off;

		off += strnlen(dep, deps_len - off) + 1;
		for (const char *p = strchr(dep, '/'); p; p = strchr(p + 1, '/')) {
			if (is_builtin_header(p + 1)) {
				pl_log(PL_LOG_INFO, "%s: <%s> is %s, not pktlua's built-in one "
				       "(-I directories come first)", filename, p + 1, dep);
				break;
			}
		}
	}
}

/* Clang's diagnostics, made more telling for what the corpus of BPF C
 * hits:
 *  - the pointers that keep local-only records' BTF (make_source) are
 *    declared before the code: "forward declaration of 'struct x'" notes
 *    pointing at them say nothing of the user's code; dropped;
 *  - struct bpf_map_def SEC("maps"): libbpf 1.0 dropped these legacy map
 *    definitions (and bpf_helpers.h the struct); say what to write. */
static void improve_diag(struct pl_compile_result *res)
{
	static const char generated_note[] = "<generated>:";
	char *d = res->diag, *w, *more;

	if (!d)
		return;
	w = d;
	for (char *p = d; *p;) {
		char *eol = strchr(p, '\n');
		size_t n = eol ? (size_t)(eol - p) + 1 : strlen(p);
		bool drop = !strncmp(p, generated_note, sizeof(generated_note) - 1) &&
			    memmem(p, n, ": note: forward declaration of ",
				   strlen(": note: forward declaration of "));
		if (drop) {
			/* The note and its source/caret lines (indented). */
			p += n;
			while (*p == ' ') {
				eol = strchr(p, '\n');
				p = eol ? eol + 1 : p + strlen(p);
			}
			continue;
		}
		memmove(w, p, n);
		w += n;
		p += n;
	}
	*w = '\0';
	if (strstr(d, "incomplete type 'struct bpf_map_def'") &&
	    asprintf(&more, "%snote: struct bpf_map_def SEC(\"maps\") is a legacy map definition, "
		     "which libbpf 1.0 dropped; declare the map with BTF instead: struct { "
		     "__uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 1); __type(key, __u32); "
		     "__type(value, __u64); } NAME SEC(\".maps\");\n", d) >= 0) {
		free(res->diag);
		res->diag = more;
	}
}

int pl_compile(const char *src, size_t len, const struct pl_compile_opts *opts,
	       struct pl_compile_result *res)
{
	const char *prelude = opts ? opts->prelude : NULL;
	struct pl_cache_req cache = { 0 };
	int err;

	memset(res, 0, sizeof(*res));
	if (!src)
		src = "", len = 0;
	/* First of all: a hit forks no compiler, loads no kernel BTF and makes
	 * no vmlinux.h. */
	if (!cache_lookup(src, len, opts, &cache, res)) {
		pl_cache_req__free(&cache);        /* its directory name */
		log_shadowing(opts && opts->filename ? opts->filename : "<snippet>", res->deps,
			      res->deps_len);
		return 0;
	}
	/* vmlinux.h costs a kernel BTF parse to make, even pruned: serve it
	 * when the code may include it (directly or through <pktlua/...>). A
	 * miss (say, a -I header including it) is caught below and retried
	 * with it. */
	bool vmlinux = mem_contains(src, len, "vmlinux.h") || mem_contains(src, len, "pktlua/") ||
		       (prelude && (strstr(prelude, "vmlinux.h") || strstr(prelude, "pktlua/")));
	/* Served pruned to what the code names (~200 ms of parsing saved);
	 * PKTLUA_VMLINUX=full serves only the whole header, =pruned only the
	 * pruned one (no fallback: tests and measurements). */
	const char *env = getenv(PL_VMLINUX_ENV);
	enum vmlinux_mode with = env && !strcmp(env, "full") ? VMLINUX_FULL : VMLINUX_PRUNED;
	bool fallback = !env || strcmp(env, "pruned");
	enum vmlinux_mode mode = vmlinux ? with : VMLINUX_NONE;

	err = compile_once(src, len, opts, mode, res);
	if (err == -EINVAL && mode == VMLINUX_NONE && res->diag &&
	    strstr(res->diag, "'vmlinux.h' file not found")) {
		pl_compile_result__free(res);
		mode = with;
		err = compile_once(src, len, opts, mode, res);
	}
	/* Pruning missed a type the code uses (token pasting, a -I header, a
	 * helper's return type never named), or the code is wrong: the full
	 * header decides, and its diagnostics are the ones the user sees. */
	if (err == -EINVAL && mode == VMLINUX_PRUNED && fallback) {
		log_vmlinux_fallback(opts && opts->filename ? opts->filename : "<snippet>",
				     res->diag);
		pl_compile_result__free(res);
		err = compile_once(src, len, opts, VMLINUX_FULL, res);
	}
	if (err == -EINVAL)
		improve_diag(res);
	if (!res->diag) {
		res->diag = strdup("");
		if (!res->diag && !err)
			err = -ENOMEM;
	}
	if (err) {
		free(res->obj);
		free(res->deps);
		res->obj = NULL;
		res->obj_len = 0;
		res->deps = NULL;
		res->deps_len = 0;
	} else {
		log_shadowing(opts && opts->filename ? opts->filename : "<snippet>", res->deps,
			      res->deps_len);
		pl_cache_put(&cache, res);          /* failed compiles are not kept */
	}
	pl_cache_req__free(&cache);
	return err;
}

void pl_compile_result__free(struct pl_compile_result *res)
{
	if (!res)
		return;
	free(res->obj);
	free(res->diag);
	free(res->deps);
	res->obj = NULL;
	res->obj_len = 0;
	res->diag = NULL;
	res->deps = NULL;
	res->deps_len = 0;
}
