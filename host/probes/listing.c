/* listing.c — pktlua -l: the probes of this kernel and of a binary. */
#include "probes/probes.h"

#include "base/log.h"
#include "bpf/attach.h"
#include "bpf/kernel_btf.h"
#include "bpf/mounts.h"
#include "symbols/elf_syms.h"
#include "symbols/libs.h"
#include "symbols/usdt_notes.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct names {
	char **v;
	size_t n, cap;
};

static int names_add(struct names *ns, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = b ? strlen(b) : 0, lc = c ? strlen(c) : 0;
	char *s;

	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 1024;
		char **v = realloc(ns->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	s = malloc(la + lb + lc + 1);
	if (!s)
		return -ENOMEM;
	memcpy(s, a, la);
	memcpy(s + la, b ? b : "", lb);
	memcpy(s + la + lb, c ? c : "", lc);
	s[la + lb + lc] = '\0';
	ns->v[ns->n++] = s;
	return 0;
}

static void names_free(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
	ns->v = NULL;
	ns->n = ns->cap = 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct lister {
	const char *glob;       /* what names must match */
	bool exact;             /* -lv PROBE: the name itself */
	bool verbose;
	FILE *out;
	int count;
	struct names found;     /* of the kind being listed */
};

static bool matches(const struct lister *l, const char *name)
{
	return l->exact ? !strcmp(l->glob, name) : !fnmatch(l->glob, name, 0);
}

/* Whether a name of the kind PREFIX ("kprobe/"), whose names hold SLASHES
 * '/' in all ("tracepoint/CAT/NAME": 2), could match. The glob's literal
 * start and PREFIX must agree as far as both go. And each '/' of the glob
 * meets one of the name's: a glob with more cannot match ("*tracepoint/a/b*"
 * is no kprobe/); one with exactly as many leaves none to its wildcards, so
 * its text before the first '/' must match the kind ("*tracepoint/sched*"
 * is no kprobe/ either). Brackets and escapes: assume it may. */
static bool may_match(const struct lister *l, const char *prefix, int slashes)
{
	const char *g = l->glob, *p = prefix;
	int n = 0;

	for (; *g && *p; g++, p++) {
		if (*g == '*' || *g == '?' || *g == '[' || *g == '\\')
			break;
		if (*g != *p)
			return false;
	}
	if (strpbrk(l->glob, "[\\"))
		return true;
	for (g = l->glob; (g = strchr(g, '/')); g++)
		n++;
	if (n > slashes)
		return false;
	if (n == slashes && n > 0) {
		char head[256], kind[64];
		size_t lh = strcspn(l->glob, "/");
		snprintf(head, sizeof(head), "%.*s", (int)lh, l->glob);
		snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(prefix, "/"), prefix);
		return lh >= sizeof(head) || !fnmatch(head, kind, 0);
	}
	return true;
}

static int add(struct lister *l, const char *a, const char *b, const char *c)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s%s%s", a, b ? b : "", c ? c : "");
	if (!matches(l, buf))
		return 0;
	return names_add(&l->found, a, b, c);
}

/* Print what was found for one kind, sorted (and described, with -v). */
static void flush(struct lister *l)
{
	if (l->found.n)
		qsort(l->found.v, l->found.n, sizeof(*l->found.v), cmp_str);
	for (size_t i = 0; i < l->found.n; i++) {
		if (i && !strcmp(l->found.v[i], l->found.v[i - 1]))
			continue;
		fputs(l->found.v[i], l->out);
		fputc('\n', l->out);
		if (l->verbose)
			pl_probes_describe(l->found.v[i], l->out);
		l->count++;
	}
	names_free(&l->found);
}

/* ---- tracepoints (tracefs) ----------------------------------------------------- */

static int list_tracepoints(struct lister *l)
{
	char path[PATH_MAX];
	const char *dir;
	FILE *f;
	char line[512];

	if (pl_mounts_ensure_tracefs() || !(dir = pl_tracefs_dir())) {
		pl_log(PL_LOG_WARN, "tracepoints are not listed: tracefs is not mounted and cannot be");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/available_events", dir);
	f = fopen(path, "re");
	if (!f) {
		pl_log(PL_LOG_WARN, "tracepoints are not listed: %s: %s", path, strerror(errno));
		return 0;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '/';
		if (add(l, "tracepoint/", line, NULL)) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

/* ---- raw_tp/ and tp_btf/ (BTF btf_trace_* typedefs) ------------------------------- */

static int btf_tracepoints(struct lister *l, const struct btf *btf, bool raw, bool typed)
{
	__u32 n = btf__type_cnt(btf), first = 1;
	const struct btf *base = btf__base_btf(btf);

	if (base)
		first = btf__type_cnt(base);
	for (__u32 id = first; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!btf_is_typedef(t))
			continue;
		const char *name = btf__name_by_offset(btf, t->name_off);
		if (!name || strncmp(name, "btf_trace_", 10))
			continue;
		if ((raw && add(l, "raw_tp/", name + 10, NULL)) ||
		    (typed && add(l, "tp_btf/", name + 10, NULL)))
			return -ENOMEM;
	}
	return 0;
}

static int list_btf_tracepoints(struct lister *l, bool raw, bool typed)
{
	const struct btf *vmlinux = pl_kernel_btf();
	int err;

	if (!vmlinux) {
		pl_log(PL_LOG_WARN, "raw_tp/ and tp_btf/ are not listed: the kernel has no BTF "
		       "(/sys/kernel/btf/vmlinux: %s)", strerror(errno));
		return 0;
	}
	err = btf_tracepoints(l, vmlinux, raw, typed);
	/* Modules' tracepoints are in their own BTF, split from vmlinux's. */
	DIR *d = opendir("/sys/kernel/btf");
	struct dirent *de;
	while (!err && d && (de = readdir(d))) {
		char path[PATH_MAX];
		if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux"))
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", de->d_name);
		struct btf *mod = btf__parse_split(path, (struct btf *)vmlinux);
		if (!mod)
			continue;
		err = btf_tracepoints(l, mod, raw, typed);
		btf__free(mod);
	}
	if (d)
		closedir(d);
	return err;
}

/* ---- perf events ------------------------------------------------------------------ */

static bool event_opens(uint32_t type, uint64_t config)
{
	struct perf_event_attr attr = { .size = sizeof(attr), .type = type, .config = config,
					.disabled = 1, .exclude_kernel = 1, .exclude_hv = 1 };
	int fd = (int)syscall(__NR_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int list_perf_events(struct lister *l)
{
	const char *name;
	uint32_t type;
	uint64_t config;

	for (size_t i = 0; (name = pl_perf_event__at(i, &type, &config)); i++) {
		char full[128];
		snprintf(full, sizeof(full), "perf_event/%s", name);
		/* Hardware counters are often absent (VMs): list what opens. */
		if (matches(l, full) && (type != PERF_TYPE_HARDWARE || event_opens(type, config)) &&
		    names_add(&l->found, full, NULL, NULL))
			return -ENOMEM;
	}
	return 0;
}

/* ---- kprobe/ and fentry/: only where the kernel attaches them ----------------------- */

static bool kprobes_work(char *why, size_t len)
{
	char path[PATH_MAX];
	const char *dir = pl_tracefs_dir();

	snprintf(path, sizeof(path), "%s/kprobe_events", dir ? dir : "/sys/kernel/tracing");
	if (dir && !access(path, F_OK))
		return true;
	snprintf(why, len, "this kernel has no kprobes (no %.128s: CONFIG_KPROBES is off)", path);
	return false;
}

/* Load (and attach) a program that returns 0 at bpf_fentry_test1, a
 * function the kernel keeps for such tests. */
static bool fentry_works(char *why, size_t len)
{
	const struct btf *btf = pl_kernel_btf();
	struct bpf_insn insns[] = {
		{ .code = 0xb7, .dst_reg = 0, .imm = 0 },   /* r0 = 0 */
		{ .code = 0x95 },                            /* exit */
	};
	int id = btf ? btf__find_by_name_kind(btf, "bpf_fentry_test1", BTF_KIND_FUNC) : -1;

	if (id < 0) {
		snprintf(why, len, "no kernel BTF function to test fentry with");
		return false;
	}
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FENTRY,
		    .attach_btf_id = (__u32)id);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, "pl_fentry_probe", "GPL", insns, 2, &o);
	if (fd < 0) {
		snprintf(why, len, "this kernel refuses fentry programs at load (%s)",
			 strerror(errno));
		return false;
	}
	int link = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
	int e = errno;
	close(fd);
	if (link < 0) {
		snprintf(why, len, "this kernel cannot attach fentry programs (%s)", strerror(e));
		return false;
	}
	close(link);
	return true;
}

static int list_kprobes(struct lister *l)
{
	char path[PATH_MAX], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/available_filter_functions", pl_tracefs_dir());
	if (!(f = fopen(path, "re")))
		return 0;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, " \t\n")] = '\0';
		if (line[0] && add(l, "kprobe/", line, NULL)) {
			fclose(f);
			return -ENOMEM;
		}
	}
	fclose(f);
	return 0;
}

static int list_fentry(struct lister *l)
{
	const struct btf *btf = pl_kernel_btf();
	__u32 n = btf ? btf__type_cnt(btf) : 0;

	for (__u32 id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (btf_is_func(t) && add(l, "fentry/", btf__name_by_offset(btf, t->name_off), NULL))
			return -ENOMEM;
	}
	return 0;
}

/* ---- uprobe/PATH:GLOB and usdt/PATH:GLOB ----------------------------------------------- */

/* KIND/PATH:REST: the path part, resolved, in OUT. */
static int binary_of(const char *glob, const char *kind, char *out, size_t len)
{
	const char *p = glob + strlen(kind), *colon = strchr(p, ':');
	char bin[PATH_MAX];

	if (!colon || colon == p || (size_t)(colon - p) >= sizeof(bin)) {
		pl_log(PL_LOG_ERROR, "-l '%s': name the binary: '%sPATH:%s'", glob, kind,
		       !strcmp(kind, "usdt/") ? "PROVIDER:NAME" : "SYMBOL");
		return -EINVAL;
	}
	memcpy(bin, p, (size_t)(colon - p));
	bin[colon - p] = '\0';
	if (strpbrk(bin, "*?[")) {
		pl_log(PL_LOG_ERROR, "-l '%s': the binary's path cannot be a pattern", glob);
		return -EINVAL;
	}
	if (pl_lib_find(bin, 0, out, len)) {
		pl_log(PL_LOG_ERROR, "-l '%s': %s: no such file%s", glob, bin,
		       strchr(bin, '/') ? "" : " in PATH, the library directories or the ld.so cache");
		return -ENOENT;
	}
	return 0;
}

static int list_uprobes(struct lister *l)
{
	char path[PATH_MAX], prefix[PATH_MAX + 16];
	struct pl_elf_syms *es;
	int err = binary_of(l->glob, "uprobe/", path, sizeof(path));

	if (err)
		return err;
	if ((err = pl_elf_syms__open(path, &es))) {
		pl_log(PL_LOG_ERROR, "-l: %s: %s", path,
		       err == -ENOEXEC ? "not an ELF file" : strerror(-err));
		return err;
	}
	/* The glob names the binary as the user wrote it: list it that way. */
	const char *as = l->glob + strlen("uprobe/");
	snprintf(prefix, sizeof(prefix), "uprobe/%.*s:", (int)(strchr(as, ':') - as), as);
	for (size_t i = 0; !err && i < pl_elf_syms__count(es); i++)
		err = add(l, prefix, pl_elf_syms__at(es, i)->name, NULL);
	pl_elf_syms__free(es);
	return err;
}

static int list_usdt(struct lister *l)
{
	char path[PATH_MAX], prefix[PATH_MAX + 16], pn[512];
	struct pl_usdt_notes *un;
	int err = binary_of(l->glob, "usdt/", path, sizeof(path));

	if (err)
		return err;
	if ((err = pl_usdt_notes__open(path, &un))) {
		pl_log(PL_LOG_ERROR, "-l: %s: %s", path,
		       err == -ENOEXEC ? "not an ELF file" : strerror(-err));
		return err;
	}
	const char *as = l->glob + strlen("usdt/");
	snprintf(prefix, sizeof(prefix), "usdt/%.*s:", (int)(strchr(as, ':') - as), as);
	for (size_t i = 0; !err && i < pl_usdt_notes__count(un); i++) {
		const struct pl_usdt_note *n = pl_usdt_notes__at(un, i);
		snprintf(pn, sizeof(pn), "%s:%s", n->provider, n->name);
		err = add(l, prefix, pn, NULL);
	}
	pl_usdt_notes__free(un);
	return err;
}

/* ---- all of it -------------------------------------------------------------------- */

int pl_probes_list(const char *pattern, const struct pl_probes_opts *opts, FILE *out)
{
	struct lister l = { .out = out, .verbose = opts && opts->verbose };
	char *glob = NULL;
	int err = 0;

	if (!pattern || !*pattern)
		pattern = "*";
	if (strpbrk(pattern, "*?[")) {
		l.glob = pattern;
	} else if (l.verbose) {
		l.glob = pattern;              /* -lv PROBE: that probe */
		l.exact = true;
	} else {
		/* No wildcard: the probes that contain it. */
		if (asprintf(&glob, "*%s*", pattern) < 0)
			return -ENOMEM;
		l.glob = glob;
	}
	if (!strncmp(l.glob, "uprobe/", 7)) {
		err = list_uprobes(&l);
		goto out;
	}
	if (!strncmp(l.glob, "usdt/", 5)) {
		err = list_usdt(&l);
		goto out;
	}
	if (may_match(&l, "tracepoint/", 2) && !(err = list_tracepoints(&l)))
		flush(&l);
	bool raw = may_match(&l, "raw_tp/", 1), typed = may_match(&l, "tp_btf/", 1);
	if (!err && (raw || typed)) {
		/* Sorted as one: raw_tp/ names sort before tp_btf/ ones. */
		if (!(err = list_btf_tracepoints(&l, raw, typed)))
			flush(&l);
	}
	if (!err && may_match(&l, "perf_event/", 1) && !(err = list_perf_events(&l)))
		flush(&l);
	char why[256];
	if (!err && may_match(&l, "kprobe/", 1)) {
		if (kprobes_work(why, sizeof(why))) {
			if (!(err = list_kprobes(&l)))
				flush(&l);
		} else {
			pl_log(PL_LOG_WARN, "kprobe/ probes are not listed: %s", why);
		}
	}
	if (!err && may_match(&l, "fentry/", 1)) {
		if (fentry_works(why, sizeof(why))) {
			if (!(err = list_fentry(&l)))
				flush(&l);
		} else {
			pl_log(PL_LOG_WARN, "fentry/ probes are not listed: %s", why);
		}
	}
out:
	if (!err)
		flush(&l);
	names_free(&l.found);
	free(glob);
	return err ? err : l.count;
}
