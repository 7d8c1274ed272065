/* describe.c — pktlua -lv: a probe's arguments. */
#include "probes/probes.h"

#include "base/log.h"
#include "bpf/attach.h"
#include "bpf/kernel_btf.h"
#include "bpf/mounts.h"
#include "symbols/elf_syms.h"
#include "symbols/libs.h"
#include "symbols/usdt_notes.h"

#include <bpf/btf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- tracepoints: the format file as a C struct ------------------------------------- */

/* "field:TYPE NAME[N];\toffset:O;\tsize:S;\tsigned:G;" */
struct field {
	char decl[256];
	unsigned offset, size;
	int is_signed;
};

static int parse_field(const char *line, struct field *f)
{
	const char *p = strstr(line, "field:"), *q;

	if (!p)
		return -1;
	p += 6;
	if (!(q = strchr(p, ';')) || (size_t)(q - p) >= sizeof(f->decl))
		return -1;
	memcpy(f->decl, p, (size_t)(q - p));
	f->decl[q - p] = '\0';
	const char *o = strstr(q, "offset:"), *s = strstr(q, "size:"), *g = strstr(q, "signed:");
	if (!o || !s)
		return -1;
	f->offset = (unsigned)strtoul(o + 7, NULL, 10);
	f->size = (unsigned)strtoul(s + 5, NULL, 10);
	f->is_signed = g ? atoi(g + 7) : 0;
	return 0;
}

/* The field's name: the last identifier before any "[". */
static void field_name(const char *decl, char *name, size_t len)
{
	const char *end = strchr(decl, '[');
	end = end ? end : decl + strlen(decl);
	while (end > decl && end[-1] == ' ')
		end--;
	const char *start = end;
	while (start > decl && (start[-1] == '_' || (start[-1] >= '0' && start[-1] <= '9') ||
				((start[-1] | 32) >= 'a' && (start[-1] | 32) <= 'z')))
		start--;
	snprintf(name, len, "%.*s", (int)(end - start), start);
}

/* Print a field so the struct has the kernel's layout: a declared type
 * narrower than the slot (syscall arguments are 8 bytes each, whatever
 * their type) becomes an integer of the slot's size, the type in a comment;
 * __data_loc fields are the u32 they are (offset | length << 16). */
static void print_field(FILE *out, const struct field *f)
{
	char name[128];

	field_name(f->decl, name, sizeof(name));
	if (!strncmp(f->decl, "__data_loc ", 11)) {
		/* "__data_loc char[] NAME": the name comes after the brackets. */
		const char *sp = strrchr(f->decl, ' ');
		snprintf(name, sizeof(name), "%s", sp ? sp + 1 : f->decl);
		fprintf(out, "        __u32 __data_loc_%s;  /* %.*s: offset | length << 16 (offset %u) */\n",
			name, (int)(sp ? sp - f->decl - 11 : 0), f->decl + 11, f->offset);
		return;
	}
	bool pointer = strchr(f->decl, '*') != NULL, array = strchr(f->decl, '[') != NULL;
	bool narrow = !pointer && !array && f->size == 8 &&
		      (strstr(f->decl, "int ") == f->decl || strstr(f->decl, "unsigned int ") ||
		       strstr(f->decl, "short ") || strstr(f->decl, "char ") == f->decl ||
		       strstr(f->decl, "umode_t ") || strstr(f->decl, "pid_t ") ||
		       strstr(f->decl, "u32 ") || strstr(f->decl, "s32 ") || strstr(f->decl, "bool "));
	if (narrow)
		fprintf(out, "        %s %s;  /* %s (offset %u, size %u) */\n",
			f->is_signed ? "__s64" : "__u64", name, f->decl, f->offset, f->size);
	else
		fprintf(out, "        %s;  /* offset %u, size %u */\n", f->decl, f->offset, f->size);
}

static int describe_tracepoint(const char *catname, FILE *out)
{
	char path[PATH_MAX], line[1024], cat[256];
	const char *dir, *slash = strchr(catname, '/');

	if (!slash || (size_t)(slash - catname) >= sizeof(cat))
		return -ENOENT;
	snprintf(cat, sizeof(cat), "%.*s", (int)(slash - catname), catname);
	if (pl_mounts_ensure_tracefs() || !(dir = pl_tracefs_dir()))
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, cat, slash + 1);
	FILE *f = fopen(path, "re");
	if (!f)
		return -ENOENT;
	unsigned end = 0;
	fprintf(out, "    struct %s_args {  /* the context: (struct %s_args *)ctx */\n", slash + 1,
		slash + 1);
	while (fgets(line, sizeof(line), f)) {
		struct field fl;
		if (parse_field(line, &fl))
			continue;
		if (fl.offset > end)
			fprintf(out, "        char __pad_%u[%u];\n", end, fl.offset - end);
		print_field(out, &fl);
		end = fl.offset + fl.size;
	}
	fprintf(out, "    };\n");
	fclose(f);
	return 0;
}

/* ---- raw_tp/ and tp_btf/: the typed arguments from BTF ---------------------------------- */

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

static void print_decl(FILE *out, const struct btf *btf, __u32 type, const char *name)
{
	struct btf_dump *d = btf_dump__new(btf, dump_printf, out, NULL);
	LIBBPF_OPTS(btf_dump_emit_type_decl_opts, o, .field_name = name);

	if (!d || btf_dump__emit_type_decl(d, type, &o))
		fprintf(out, "type#%u %s", type, name);
	btf_dump__free(d);
}

/* The argument names: the tracepoint's __bpf_trace_NAME (or its event
 * class's __bpf_trace_CLASS, found by the same argument types) names them. */
static const struct btf_type *named_proto(const struct btf *btf, const char *name,
					  const struct btf_type *anon)
{
	char fn[256];
	__u32 n = btf__type_cnt(btf);
	int id;

	snprintf(fn, sizeof(fn), "__bpf_trace_%s", name);
	if ((id = btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC)) > 0)
		return btf__type_by_id(btf, btf__type_by_id(btf, (__u32)id)->type);
	for (__u32 i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(btf, i);
		const char *nm;
		if (!btf_is_func(t) || !(nm = btf__name_by_offset(btf, t->name_off)) ||
		    strncmp(nm, "__bpf_trace_", 12))
			continue;
		const struct btf_type *p = btf__type_by_id(btf, t->type);
		if (!p || btf_vlen(p) != btf_vlen(anon))
			continue;
		const struct btf_param *a = btf_params(p), *b = btf_params(anon);
		bool same = true;
		for (__u16 k = 1; k < btf_vlen(p) && same; k++)
			same = a[k].type == b[k].type;
		if (same)
			return p;
	}
	return NULL;
}

static int describe_btf_tracepoint(const char *name, FILE *out)
{
	const struct btf *btf = pl_kernel_btf();
	char td[256];
	int id;

	if (!btf)
		return -ENOENT;
	snprintf(td, sizeof(td), "btf_trace_%s", name);
	if ((id = btf__find_by_name_kind(btf, td, BTF_KIND_TYPEDEF)) < 0)
		return -ENOENT;
	const struct btf_type *t = btf__type_by_id(btf, (__u32)id);
	const struct btf_type *ptr = btf__type_by_id(btf, t->type);
	const struct btf_type *proto = ptr && btf_is_ptr(ptr) ? btf__type_by_id(btf, ptr->type) : NULL;
	if (!proto || !btf_is_func_proto(proto))
		return -ENOENT;
	const struct btf_type *named = named_proto(btf, name, proto);
	const struct btf_param *params = btf_params(proto);
	/* The first argument is the tracepoint's data pointer, not the event's. */
	for (__u16 i = 1; i < btf_vlen(proto); i++) {
		char argname[128];
		const char *nm = named ? btf__name_by_offset(btf, btf_params(named)[i].name_off) : NULL;
		snprintf(argname, sizeof(argname), "%s", nm && *nm ? nm : "");
		if (!argname[0])
			snprintf(argname, sizeof(argname), "arg%u", i - 1);
		fprintf(out, "    ");
		print_decl(out, btf, params[i].type, argname);
		fprintf(out, ";\n");
	}
	if (btf_vlen(proto) <= 1)
		fprintf(out, "    (no arguments)\n");
	return 0;
}

/* ---- usdt/, uprobe/, perf_event/ ---------------------------------------------------------- */

/* "KIND/PATH:REST": the resolved path, and REST. */
static int split_binary(const char *probe, const char *kind, char *path, size_t len,
			const char **rest)
{
	char bin[PATH_MAX];
	const char *p = probe + strlen(kind), *colon = strchr(p, ':');

	if (!colon || (size_t)(colon - p) >= sizeof(bin))
		return -ENOENT;
	snprintf(bin, sizeof(bin), "%.*s", (int)(colon - p), p);
	*rest = colon + 1;
	return pl_lib_find(bin, 0, path, len);
}

static int describe_usdt(const char *probe, FILE *out)
{
	char path[PATH_MAX];
	const char *rest;
	struct pl_usdt_notes *un;
	int found = 0;

	if (split_binary(probe, "usdt/", path, sizeof(path), &rest) || pl_usdt_notes__open(path, &un))
		return -ENOENT;
	for (size_t i = 0; i < pl_usdt_notes__count(un); i++) {
		const struct pl_usdt_note *n = pl_usdt_notes__at(un, i);
		size_t lp = strlen(n->provider);
		if (strncmp(rest, n->provider, lp) || rest[lp] != ':' || strcmp(rest + lp + 1, n->name))
			continue;
		/* One site per line: a probe can be in several places. */
		fprintf(out, "    at 0x%llx%s:", (unsigned long long)n->pc, n->semaphore ? " (semaphore)" : "");
		int k = 0;
		char args[512];
		snprintf(args, sizeof(args), "%s", n->args);
		for (char *save, *a = strtok_r(args, " ", &save); a; a = strtok_r(NULL, " ", &save)) {
			/* "SIZE@LOCATION": a negative size is signed. */
			char *at = strchr(a, '@');
			int sz = at ? atoi(a) : 0;
			fprintf(out, " arg%d %s%d %s;", k++, sz < 0 ? "s" : "u", 8 * abs(sz),
				at ? at + 1 : a);
		}
		if (!k)
			fprintf(out, " (no arguments)");
		fputc('\n', out);
		found = 1;
	}
	pl_usdt_notes__free(un);
	return found ? 0 : -ENOENT;
}

static int describe_uprobe(const char *probe, FILE *out)
{
	char path[PATH_MAX];
	const char *sym;
	struct pl_elf_syms *es;
	int found = 0;

	if (split_binary(probe, "uprobe/", path, sizeof(path), &sym) || pl_elf_syms__open(path, &es))
		return -ENOENT;
	for (size_t i = 0; i < pl_elf_syms__count(es); i++) {
		const struct pl_elf_sym *s = pl_elf_syms__at(es, i);
		if (strcmp(s->name, sym))
			continue;
		fprintf(out, "    address 0x%llx, size %llu; arguments: PT_REGS_PARM1(ctx)...\n",
			(unsigned long long)s->addr, (unsigned long long)s->size);
		found = 1;
		break;
	}
	pl_elf_syms__free(es);
	return found ? 0 : -ENOENT;
}

static int describe_perf_event(const char *event, FILE *out)
{
	const char *name;
	uint32_t type;
	uint64_t config;

	for (size_t i = 0; (name = pl_perf_event__at(i, &type, &config)); i++)
		if (!strcmp(name, event)) {
			fprintf(out, "    SEC(\"perf_event\"), attach{event = \"%s\"}: perf type %u, "
				"config %llu; the context is struct bpf_perf_event_data\n",
				name, type, (unsigned long long)config);
			return 0;
		}
	return -ENOENT;
}

int pl_probes_describe(const char *probe, FILE *out)
{
	int err = -ENOENT;

	if (!strncmp(probe, "tracepoint/", 11))
		err = describe_tracepoint(probe + 11, out);
	else if (!strncmp(probe, "tp_btf/", 7))
		err = describe_btf_tracepoint(probe + 7, out);
	else if (!strncmp(probe, "raw_tp/", 7))
		err = describe_btf_tracepoint(probe + 7, out);
	else if (!strncmp(probe, "usdt/", 5))
		err = describe_usdt(probe, out);
	else if (!strncmp(probe, "uprobe/", 7))
		err = describe_uprobe(probe, out);
	else if (!strncmp(probe, "perf_event/", 11))
		err = describe_perf_event(probe + 11, out);
	return err;
}
