/* uapi.c — build-time tool: the kernel's UAPI headers (linux-libc-dev), made
 * to coexist with <vmlinux.h>, as C tables for pktlua.
 *
 * usage: pl_uapi FILES.c NAMES.c DIR=PREFIX...
 *   e.g. pl_uapi uapi_files.c uapi_names.c /usr/include/linux=linux \
 *          /usr/include/asm-generic=asm-generic /usr/include/x86_64-linux-gnu/asm=asm
 *
 * Every *.h under each DIR is served to clang as PREFIX/<path> (compiled into
 * the compiler shim: FILES.c holds pl_uapi_files[], sorted by name, and the
 * guard names below; NAMES.c, for the host, only the headers' names). The
 * headers are the ones `clang -target bpf -I/usr/include/<multiarch>` finds,
 * with one change: each top-level type definition is wrapped in a guard,
 *
 *   #if !defined(__PL_VMLINUX_tag_ethhdr)
 *   struct ethhdr { ... } __attribute__((packed));
 *   #else
 *   (the #define lines the definition held, e.g. IPPROTO_UDP's)
 *   #endif
 *
 * and the shim defines, at the end of the vmlinux.h it is given,
 * __PL_VMLINUX_tag_NAME for each struct, union or enum tag vmlinux.h defines
 * and __PL_VMLINUX_id_NAME for each typedef and enumerator, for the names
 * some guard tests (compile/clang_shim.cpp). So a
 * snippet that includes vmlinux.h and then <linux/if_ether.h> gets the
 * kernel's struct ethhdr and the header's ETH_P_IP, and no redefinition;
 * without vmlinux.h the guards are never defined and the headers are what
 * they always were. #line directives keep the headers' own line numbers.
 *
 * Definitions the wrapper cannot take apart safely (a preprocessor
 * conditional that opens inside one and closes outside) are left as they are;
 * the tool prints how many of each it found. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define GUARD_TAG "__PL_VMLINUX_tag_"
#define GUARD_ID "__PL_VMLINUX_id_"

/* ---- growable buffers and lists ------------------------------------------ */

struct buf {
	char *s;
	size_t len, cap;
};

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pl_uapi: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void buf_printf(struct buf *b, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		die("line too long");
	buf_add(b, tmp, (size_t)n);
}

/* "tNAME" (a tag) or "iNAME" (an ordinary identifier): the guard names. */
static char **names;
static size_t nnames, names_cap;

static void add_name(char kind, const char *s, size_t n)
{
	if (nnames == names_cap) {
		names_cap = names_cap ? names_cap * 2 : 1024;
		names = xrealloc(names, names_cap * sizeof(*names));
	}
	char *e = xrealloc(NULL, n + 2);
	e[0] = kind;
	memcpy(e + 1, s, n);
	e[n + 1] = '\0';
	names[nnames++] = e;
}

/* ---- tokens ---------------------------------------------------------------- */

enum tok_kind { T_IDENT, T_PUNCT, T_OTHER };

struct tok {
	enum tok_kind kind;
	const char *s;
	size_t len;
};

struct item {
	struct tok *t;
	size_t n, cap;
};

static void item_add(struct item *it, enum tok_kind k, const char *s, size_t len)
{
	if (it->n == it->cap) {
		it->cap = it->cap ? it->cap * 2 : 64;
		it->t = xrealloc(it->t, it->cap * sizeof(*it->t));
	}
	it->t[it->n++] = (struct tok){ k, s, len };
}

static bool is_id_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_id_char(char c)
{
	return is_id_start(c) || (c >= '0' && c <= '9');
}

static bool tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && !memcmp(t->s, s, t->len);
}

static bool punct(const struct tok *t, char c)
{
	return t->kind == T_PUNCT && t->s[0] == c;
}

/* Index past __attribute__((...)) at I, or I. */
static size_t skip_attr(const struct item *it, size_t i, size_t end)
{
	while (i < end && (tok_is(&it->t[i], "__attribute__") || tok_is(&it->t[i], "__attribute"))) {
		i++;
		if (i < end && punct(&it->t[i], '(')) {
			int depth = 0;
			for (; i < end; i++) {
				if (punct(&it->t[i], '('))
					depth++;
				else if (punct(&it->t[i], ')') && --depth == 0) {
					i++;
					break;
				}
			}
		}
	}
	return i;
}

/* The index of the bracket closing the one at I (any of ( [ {), or END. */
static size_t match(const struct item *it, size_t i, size_t end)
{
	int depth = 0;

	for (; i < end; i++) {
		char c = it->t[i].kind == T_PUNCT ? it->t[i].s[0] : 0;
		if (c == '(' || c == '[' || c == '{')
			depth++;
		else if ((c == ')' || c == ']' || c == '}') && --depth == 0)
			return i;
	}
	return end;
}

/* Declarator names of a typedef in tokens [I, END): one per comma-separated
 * declarator. "(*NAME)" → NAME; "NAME(" → NAME; else the last identifier
 * outside brackets and attributes. Adds them as 'i' names to GUARD (a list
 * of indexes into it->t); returns how many. */
static size_t typedef_names(const struct item *it, size_t i, size_t end, size_t *out, size_t max)
{
	size_t n = 0;

	while (i < end && n < max) {
		size_t last = (size_t)-1, found = (size_t)-1;
		for (; i < end && !punct(&it->t[i], ','); i++) {
			size_t j = skip_attr(it, i, end);
			if (j != i) {
				i = j - 1;
				continue;
			}
			const struct tok *t = &it->t[i];
			if (t->kind == T_IDENT) {
				last = i;
			} else if (punct(t, '(')) {
				size_t k = i + 1;
				while (k < end && (punct(&it->t[k], '*') || tok_is(&it->t[k], "const")))
					k++;
				if (found == (size_t)-1 && k > i + 1 && k < end && it->t[k].kind == T_IDENT)
					found = k;
				else if (found == (size_t)-1 && last != (size_t)-1)
					found = last;
				i = match(it, i, end);
			} else if (punct(t, '[')) {
				i = match(it, i, end);
			}
		}
		if (found == (size_t)-1)
			found = last;
		if (found != (size_t)-1)
			out[n++] = found;
		i++;    /* past ',' */
	}
	return n;
}

/* Enumerator names inside the braces [OPEN, CLOSE]. */
static size_t enumerators(const struct item *it, size_t open, size_t close, size_t *out, size_t max)
{
	size_t n = 0;
	bool start = true;

	for (size_t i = open + 1; i < close && n < max; i++) {
		const struct tok *t = &it->t[i];
		if (start && t->kind == T_IDENT) {
			out[n++] = i;
			start = false;
		} else if (punct(t, '(') || punct(t, '[')) {
			i = match(it, i, close);
		} else if (punct(t, ',')) {
			start = true;
		}
	}
	return n;
}

/* ---- one header -------------------------------------------------------------- */

struct stats {
	unsigned files, guarded, left;
};

/* A directive line inside an item: its span, for the #else branch. */
struct span {
	size_t start, end;
};

struct rewrite {
	const char *src;
	size_t len;
	struct buf *out;
	size_t copied;          /* src[0, copied) is in out */
	struct stats *st;
};

static unsigned line_at(const char *src, size_t off)
{
	unsigned line = 1;

	for (size_t i = 0; i < off; i++)
		line += src[i] == '\n';
	return line;
}

#define MAX_GUARD 4096

/* Emit the item src[start, end) guarded by GUARD (an #if expression), with
 * DIRS (its directive lines) in the #else branch. A typedef of a tagged body
 * is split by the caller into two emits. */
static void emit_guarded(struct rewrite *rw, size_t start, size_t end, const char *pre,
			 const char *post, const char *guard, const struct span *dirs, size_t ndirs)
{
	buf_add(rw->out, rw->src + rw->copied, start - rw->copied);
	buf_str(rw->out, "\n#if ");
	buf_str(rw->out, guard);
	buf_printf(rw->out, "\n#line %u\n", line_at(rw->src, start));
	if (pre)
		buf_str(rw->out, pre);
	buf_add(rw->out, rw->src + start, end - start);
	if (post)
		buf_str(rw->out, post);
	buf_str(rw->out, "\n");
	if (ndirs) {
		buf_str(rw->out, "#else\n");
		for (size_t i = 0; i < ndirs; i++) {
			buf_add(rw->out, rw->src + dirs[i].start, dirs[i].end - dirs[i].start);
			buf_str(rw->out, "\n");
		}
	}
	buf_printf(rw->out, "#endif\n#line %u\n", line_at(rw->src, end));
	rw->copied = end;
}

static void guard_add(struct buf *g, char kind, const struct tok *t)
{
	buf_printf(g, "%s!defined(%s%.*s)", g->len ? " && " : "", kind == 't' ? GUARD_TAG : GUARD_ID,
		   (int)t->len, t->s);
	add_name(kind, t->s, t->len);
}

/* Classify the item [START, END) of TOKENS and wrap it if it defines types. */
static void finish_item(struct rewrite *rw, struct item *it, size_t start, size_t end,
			const struct span *dirs, size_t ndirs, bool balanced)
{
	size_t i = 0, n = it->n, idx[MAX_GUARD];
	struct buf g = {0};
	bool is_typedef = false;

	while (i < n && tok_is(&it->t[i], "__extension__"))
		i++;
	if (i < n && tok_is(&it->t[i], "typedef")) {
		is_typedef = true;
		i++;
	}
	i = skip_attr(it, i, n);
	size_t kw = i;
	bool tagged = i < n && (tok_is(&it->t[i], "struct") || tok_is(&it->t[i], "union") ||
				tok_is(&it->t[i], "enum"));
	size_t open = n, close = n, tag = n;
	if (tagged) {
		i = skip_attr(it, i + 1, n);
		if (i < n && it->t[i].kind == T_IDENT) {
			tag = i;
			i = skip_attr(it, i + 1, n);
		}
		if (i < n && punct(&it->t[i], '{')) {
			open = i;
			close = match(it, open, n);
		}
	}
	bool is_enum = tagged && tok_is(&it->t[kw], "enum");

	if (!is_typedef && open == n)
		goto out;       /* no definition: forward declaration, function, variable */
	if (!balanced) {
		rw->st->left++;
		goto out;
	}

	if (is_typedef) {
		size_t after = open < n ? close + 1 : kw;
		size_t decl = skip_attr(it, after, n);
		size_t k = typedef_names(it, decl, n - 1 /* ';' */, idx, MAX_GUARD);
		if (!k) {
			rw->st->left++;
			goto out;
		}
		if (open < n && tag < n) {
			/* typedef struct T {...} ATTRS NAME;  →  struct T {...} ATTRS;
			 * and typedef struct T NAME; each under its own guard. */
			struct buf g2 = {0}, pre = {0};
			size_t body_end = (size_t)(it->t[decl - 1].s + it->t[decl - 1].len - rw->src);
			size_t kw_start = (size_t)(it->t[kw].s - rw->src);

			guard_add(&g, 't', &it->t[tag]);
			for (size_t j = 0; j < k; j++)
				guard_add(&g2, 'i', &it->t[idx[j]]);
			/* "typedef" (the text from START to the keyword) is dropped. */
			buf_add(rw->out, rw->src + rw->copied, start - rw->copied);
			rw->copied = kw_start;
			emit_guarded(rw, kw_start, body_end, NULL, ";", g.s, dirs, ndirs);
			buf_printf(&pre, "typedef %.*s %.*s ", (int)it->t[kw].len, it->t[kw].s,
				   (int)it->t[tag].len, it->t[tag].s);
			emit_guarded(rw, body_end, end, pre.s, NULL, g2.s, NULL, 0);
			rw->st->guarded += 2;
			free(g2.s);
			free(pre.s);
			goto out;
		}
		for (size_t j = 0; j < k; j++)
			guard_add(&g, 'i', &it->t[idx[j]]);
	} else {
		/* struct/union/enum [TAG] {...} [ATTRS] ; — what follows the
		 * body is attributes, often through a macro ("} EPOLL_PACKED;"):
		 * UAPI headers define no variables. */
		if (tag < n)
			guard_add(&g, 't', &it->t[tag]);
	}
	if (is_enum && open < n) {
		size_t k = enumerators(it, open, close, idx, MAX_GUARD);
		for (size_t j = 0; j < k; j++)
			guard_add(&g, 'i', &it->t[idx[j]]);
	}
	if (!g.len) {
		rw->st->left++;
		goto out;
	}
	emit_guarded(rw, start, end, NULL, NULL, g.s, dirs, ndirs);
	rw->st->guarded++;
out:
	free(g.s);
}

static void rewrite_header(const char *src, size_t len, struct buf *out, struct stats *st)
{
	struct rewrite rw = { .src = src, .len = len, .out = out, .st = st };
	struct item it = {0};
	struct span *dirs = NULL;
	size_t ndirs = 0, dirs_cap = 0, start = 0;
	bool in_item = false, bol = true, balanced = true;
	int depth = 0, cond = 0;

	for (size_t i = 0; i < len;) {
		char c = src[i];

		if (c == '/' && i + 1 < len && src[i + 1] == '*') {
			const char *e = strstr(src + i + 2, "*/");
			i = e ? (size_t)(e - src) + 2 : len;
			continue;
		}
		if (c == '/' && i + 1 < len && src[i + 1] == '/') {
			while (i < len && src[i] != '\n')
				i++;
			continue;
		}
		if (c == '\n') {
			bol = true;
			i++;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			i++;
			continue;
		}
		if (bol && c == '#') {
			/* A directive, to the end of its (continued) line. */
			size_t d = i, e = i;
			while (e < len && src[e] != '\n') {
				if (src[e] == '\\' && e + 1 < len && src[e + 1] == '\n')
					e++;
				else if (src[e] == '/' && e + 1 < len && src[e + 1] == '*') {
					const char *ce = strstr(src + e + 2, "*/");
					e = ce ? (size_t)(ce - src) + 1 : len - 1;
				}
				e++;
			}
			if (in_item) {
				size_t k = d + 1;
				while (k < e && (src[k] == ' ' || src[k] == '\t'))
					k++;
				if (!strncmp(src + k, "if", 2))
					cond++;
				else if (!strncmp(src + k, "endif", 5))
					cond--;
				else if (!strncmp(src + k, "el", 2) && cond == 0)
					balanced = false;
				if (cond < 0)
					balanced = false;
				if (ndirs == dirs_cap) {
					dirs_cap = dirs_cap ? dirs_cap * 2 : 16;
					dirs = xrealloc(dirs, dirs_cap * sizeof(*dirs));
				}
				dirs[ndirs++] = (struct span){ d, e };
			}
			i = e;
			continue;
		}
		bol = false;

		/* A token. */
		size_t t0 = i;
		enum tok_kind kind;
		if (is_id_start(c)) {
			while (i < len && is_id_char(src[i]))
				i++;
			kind = T_IDENT;
		} else if (c >= '0' && c <= '9') {
			while (i < len && (is_id_char(src[i]) || src[i] == '.'))
				i++;
			kind = T_OTHER;
		} else if (c == '"' || c == '\'') {
			for (i++; i < len && src[i] != c && src[i] != '\n'; i++)
				if (src[i] == '\\')
					i++;
			i++;
			kind = T_OTHER;
		} else {
			i++;
			kind = T_PUNCT;
		}

		if (!in_item) {
			/* extern "C" { ... } (under #ifdef __cplusplus): not a scope. */
			if (kind == T_PUNCT && c == '}' && depth == 0)
				continue;
			if (kind == T_IDENT && i - t0 == 6 && !memcmp(src + t0, "extern", 6)) {
				size_t k = i;
				while (k < len && (src[k] == ' ' || src[k] == '\t'))
					k++;
				if (!strncmp(src + k, "\"C\"", 3)) {
					k += 3;
					while (k < len && (src[k] == ' ' || src[k] == '\t' || src[k] == '\n'))
						k++;
					if (k < len && src[k] == '{') {
						i = k + 1;
						continue;
					}
				}
			}
			in_item = true;
			start = t0;
			it.n = 0;
			ndirs = 0;
			cond = 0;
			balanced = true;
		}
		item_add(&it, kind, src + t0, i - t0);
		if (kind != T_PUNCT)
			continue;
		if (c == '{' || c == '(' || c == '[') {
			depth++;
		} else if (c == '}' || c == ')' || c == ']') {
			depth--;
			/* The end of a function definition: "...) {...}". */
			if (c == '}' && depth == 0) {
				size_t k = 0, n = it.n;
				size_t open = n;
				for (k = 0; k < n; k++)
					if (punct(&it.t[k], '{')) {
						open = k;
						break;
					}
				bool func = open > 0 && open < n && punct(&it.t[open - 1], ')');
				for (k = 0; func && k < open; k++)
					if (punct(&it.t[k], '='))
						func = false;
				if (func) {
					in_item = false;
					continue;
				}
			}
		} else if (c == ';' && depth == 0) {
			finish_item(&rw, &it, start, i, dirs, ndirs, balanced && cond == 0);
			in_item = false;
		}
	}
	buf_add(out, src + rw.copied, len - rw.copied);
	free(it.t);
	free(dirs);
}

/* ---- the trees ------------------------------------------------------------- */

struct file {
	char *name;     /* PREFIX/relative path */
	char *path;
};

static struct file *files;
static size_t nfiles, files_cap;

static void walk(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		die("%s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		char path[4096], name[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		snprintf(name, sizeof(name), "%s/%s", prefix, e->d_name);
		if (stat(path, &st))
			die("%s: %s", path, strerror(errno));
		if (S_ISDIR(st.st_mode)) {
			walk(path, name);
			continue;
		}
		size_t n = strlen(name);
		if (n < 3 || strcmp(name + n - 2, ".h"))
			continue;
		if (nfiles == files_cap) {
			files_cap = files_cap ? files_cap * 2 : 1024;
			files = xrealloc(files, files_cap * sizeof(*files));
		}
		files[nfiles].name = strdup(name);
		files[nfiles].path = strdup(path);
		nfiles++;
	}
	closedir(d);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->name, ((const struct file *)b)->name);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = {0};
	char tmp[65536];
	size_t n;

	if (!f)
		die("%s: %s", path, strerror(errno));
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	*len = b.len;
	if (!b.s)
		buf_add(&b, "", 0);
	return b.s;
}

/* Write S as the body of a C string literal, in lines. */
static void put_literal(FILE *out, const char *s, size_t len)
{
	fputs("\n\"", out);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n') {
			fputs("\\n\"\n\"", out);
		} else if (c == '\\' || c == '"') {
			fputc('\\', out);
			fputc(c, out);
		} else if (c == '?' ) {
			fputs("\\?", out);      /* no trigraphs */
		} else if (c < 32 || c >= 127) {
			fprintf(out, "\\%03o", c);
		} else {
			fputc(c, out);
		}
	}
	fputs("\"", out);
}

static FILE *open_out(const char *path, char *tmp, size_t tmp_len)
{
	snprintf(tmp, tmp_len, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	return f;
}

static void close_out(FILE *f, const char *tmp, const char *path)
{
	if (fclose(f) || rename(tmp, path))
		die("%s: %s", path, strerror(errno));
}

int main(int argc, char **argv)
{
	struct stats st = {0};
	char tmp[4096];

	if (argc < 4) {
		fprintf(stderr, "usage: %s FILES.c NAMES.c DIR=PREFIX...\n", argv[0]);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		char *eq = strchr(argv[i], '=');
		if (!eq)
			die("'%s' is not DIR=PREFIX", argv[i]);
		*eq = '\0';
		walk(argv[i], eq + 1);
	}
	qsort(files, nfiles, sizeof(*files), by_name);

	FILE *out = open_out(argv[1], tmp, sizeof(tmp));
	/* Everything in a section of its own and without a pointer: no
	 * relocation for the loader to apply, no page of it touched until a
	 * header is read. (In the middle of LLVM's .rodata, the pages around
	 * what the compiler touches there were mapped along with it.) */
	fputs("/* generated by pl_uapi (tools/uapi.c) from linux-libc-dev; do not edit */\n"
	      "#include \"compile/uapi.h\"\n\n"
	      "#define UAPI_SECTION __attribute__((section(\".pktlua_uapi\")))\n\n"
	      "const char pl_uapi_text[] UAPI_SECTION =", out);
	size_t *data_off = xrealloc(NULL, nfiles * sizeof(*data_off));
	size_t *data_len = xrealloc(NULL, nfiles * sizeof(*data_len));
	size_t text_len = 0;
	for (size_t i = 0; i < nfiles; i++) {
		size_t len;
		char *src = read_all(files[i].path, &len);
		struct buf b = {0};

		rewrite_header(src, len, &b, &st);
		st.files++;
		buf_add(&b, "", 0);
		data_off[i] = text_len;
		data_len[i] = b.len;
		put_literal(out, b.s, b.len + 1);      /* each NUL-terminated */
		text_len += b.len + 1;
		free(b.s);
		free(src);
	}
	fputs(";\n\nconst char pl_uapi_file_names[] UAPI_SECTION =", out);
	struct buf fnames = {0};
	size_t *name_off = xrealloc(NULL, nfiles * sizeof(*name_off));
	for (size_t i = 0; i < nfiles; i++) {
		name_off[i] = fnames.len;
		buf_add(&fnames, files[i].name, strlen(files[i].name) + 1);
	}
	put_literal(out, fnames.s, fnames.len);
	fputs(";\n\nconst struct pl_uapi_file pl_uapi_files[] UAPI_SECTION = {\n", out);
	for (size_t i = 0; i < nfiles; i++)
		fprintf(out, "\t{%zu, %zu, %zu},\n", name_off[i], data_off[i], data_len[i]);
	fprintf(out, "};\nconst size_t pl_uapi_count = %zu;\n", nfiles);
	free(fnames.s);
	free(name_off);
	free(data_off);
	free(data_len);

	/* The guard names, sorted and unique, as one string of NUL-separated
	 * names and their offsets. */
	qsort(names, nnames, sizeof(*names), by_str);
	size_t u = 0;
	for (size_t i = 0; i < nnames; i++) {
		if (!u || strcmp(names[u - 1], names[i]))
			names[u++] = names[i];
		else
			free(names[i]);
	}
	struct buf all = {0};
	for (size_t i = 0; i < u; i++)
		buf_add(&all, names[i], strlen(names[i]) + 1);
	fputs("\nconst char pl_uapi_names[] UAPI_SECTION =", out);
	put_literal(out, all.s ? all.s : "", all.len);
	fputs(";\nconst unsigned pl_uapi_name_off[] UAPI_SECTION = {", out);
	for (size_t i = 0, off = 0; i < u; off += strlen(names[i]) + 1, i++)
		fprintf(out, "%s%zu,", i % 12 ? "" : "\n\t", off);
	fprintf(out, "\n};\nconst size_t pl_uapi_name_count = %zu;\n", u);
	close_out(out, tmp, argv[1]);

	/* The host's table: only the headers' names (-v says which built-in
	 * header a user's shadows), small enough to cost nothing at start. */
	out = open_out(argv[2], tmp, sizeof(tmp));
	fputs("/* generated by pl_uapi (tools/uapi.c) from linux-libc-dev; do not edit */\n"
	      "#include \"compile/uapi.h\"\n\n"
	      "const char pl_uapi_headers[] =", out);
	all.len = 0;
	for (size_t i = 0; i < nfiles; i++)
		buf_add(&all, files[i].name, strlen(files[i].name) + 1);
	put_literal(out, all.s, all.len);
	fputs(";\nconst unsigned pl_uapi_header_off[] = {", out);
	for (size_t i = 0, off = 0; i < nfiles; off += strlen(files[i].name) + 1, i++)
		fprintf(out, "%s%zu,", i % 12 ? "" : "\n\t", off);
	fprintf(out, "\n};\nconst size_t pl_uapi_header_count = %zu;\n", nfiles);
	free(all.s);
	close_out(out, tmp, argv[2]);

	printf("pl_uapi: %u headers, %u type definitions guarded, %u left as they are, %zu names\n",
	       st.files, st.guarded, st.left, u);
	/* Freed so that a sanitizer build's leak check passes at build time. */
	for (size_t i = 0; i < u; i++)
		free(names[i]);
	free(names);
	return 0;
}
