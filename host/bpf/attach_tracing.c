/* attach_tracing.c — the kernel's own hooks: tracepoints, raw tracepoints,
 * BTF-typed tracepoints and fentry/fexit, and kprobes (which this kernel
 * may lack). */
#include "bpf/attach_kind.h"
#include "bpf/caps.h"
#include "bpf/kernel_btf.h"
#include "bpf/mounts.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Attach with a libbpf call; on success hand the link to LINK. Returns 0 or
 * the negative errno of the failure. */
static int take(struct pl_link *link, struct bpf_link *l)
{
	if (!l)
		return pl_errno(-errno);
	return pl_link__add_link(link, l);
}

/* ---- tracepoint ----------------------------------------------------------- */

/* "category/name" or "category:name" → two strings. */
static int split_tracepoint(const char *spec, char *cat, size_t catlen, char *name,
			    size_t namelen)
{
	size_t n = strcspn(spec, "/:");

	if (!spec[n] || n == 0 || !spec[n + 1] || n >= catlen || strlen(spec + n + 1) >= namelen)
		return -EINVAL;
	memcpy(cat, spec, n);
	cat[n] = '\0';
	strcpy(name, spec + n + 1);
	return 0;
}

/* Whether the running kernel has tracepoint NAME, found without tracefs:
 * every TRACE_EVENT leaves a btf_trace_NAME typedef in the kernel's BTF;
 * the syscall events (syscalls/sys_enter_X, sys_exit_X) are made from the
 * syscall table instead, so X's entry point in /proc/kallsyms (names are
 * listed to everyone) tells. Returns false when it cannot tell. */
static bool kernel_has_tracepoint(const char *cat, const char *name)
{
	char want[160], line[512];
	const struct btf *btf = pl_kernel_btf();
	bool found = false;

	snprintf(want, sizeof(want), "btf_trace_%s", name);
	if (btf && btf__find_by_name_kind(btf, want, BTF_KIND_TYPEDEF) > 0)
		return true;
	const char *sc = NULL;
	if (!strcmp(cat, "syscalls") && !strncmp(name, "sys_enter_", 10))
		sc = name + 10;
	else if (!strcmp(cat, "syscalls") && !strncmp(name, "sys_exit_", 9))
		sc = name + 9;
	if (!sc || !*sc)
		return false;
	/* "__x64_sys_X", "__arm64_sys_X", ... or plain "sys_X". */
	snprintf(want, sizeof(want), "sys_%s", sc);
	size_t wlen = strlen(want);
	FILE *f = fopen("/proc/kallsyms", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *sym = strrchr(line, ' ');
		size_t n;

		if (!sym || strchr(line, '['))   /* modules: not a syscall */
			continue;
		sym++;
		n = strcspn(sym, "\n");
		found = n >= wlen && !strncmp(sym + n - wlen, want, wlen) &&
			(n == wlen || (sym[0] == '_' && sym[1] == '_' && sym[n - wlen - 1] == '_'));
	}
	fclose(f);
	return found;
}

/* tracefs is mounted but this process cannot look inside (mode 0700 and
 * no CAP_DAC_READ_SEARCH): say whether the tracepoint exists, and what
 * reading tracefs takes. */
static int unreadable_tracefs(const char *tracefs, const char *cat, const char *name,
			      char *err, size_t errlen)
{
	char why[256], mode[32] = "";
	struct stat st;

	if (!stat(tracefs, &st))
		snprintf(mode, sizeof(mode), ", mode %04o", (unsigned)(st.st_mode & 07777));
	if (!pl_caps_explain(PL_CAP(CAP_DAC_READ_SEARCH), why, sizeof(why)))
		return pl_attach_err(err, errlen, -EACCES, "tracepoint '%s/%s': cannot read "
				     "tracefs (%s%s): %s", cat, name, tracefs, mode, strerror(EACCES));
	if (kernel_has_tracepoint(cat, name))
		return pl_attach_err(err, errlen, -EACCES,
				     "tracepoint '%s/%s' exists, but tracefs (%s%s), where its id "
				     "is, cannot be read: reading it %s", cat, name, tracefs, mode,
				     why);
	return pl_attach_err(err, errlen, -EACCES,
			     "tracepoint '%s/%s': tracefs (%s%s) cannot be read, so whether it "
			     "exists is unknown: reading it %s", cat, name, tracefs, mode, why);
}

static int tracepoint_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			     struct pl_link *link, char *err, size_t errlen)
{
	const char *spec = opts->tracepoint;
	char cat[128], name[128], path[512], why[256];
	struct stat st;
	int rc;

	if (!spec)
		spec = pl_sec_after(prog, "tracepoint/") ?: pl_sec_after(prog, "tp/");
	if (!spec || !*spec)
		return pl_attach_err(err, errlen, -EINVAL,
				     "tracepoint program needs a target: SEC(\"tracepoint/CATEGORY/NAME\") "
				     "or tracepoint=\"CATEGORY/NAME\"");
	if (split_tracepoint(spec, cat, sizeof(cat), name, sizeof(name)))
		return pl_attach_err(err, errlen, -EINVAL,
				     "tracepoint '%s': not of the form CATEGORY/NAME", spec);

	/* libbpf finds the tracepoint's id in tracefs: it must be mounted. */
	rc = pl_mounts_ensure_tracefs();
	const char *tracefs = pl_tracefs_dir();
	if (!tracefs && rc == -EPERM &&
	    pl_caps_explain(PL_CAP(CAP_SYS_ADMIN), why, sizeof(why)))
		return pl_attach_err(err, errlen, rc,
				     "tracepoint '%s/%s': tracefs is not mounted, and mounting it "
				     "%s (or mount it first: mount -t tracefs tracefs %s)",
				     cat, name, why, PL_TRACEFS_DIR);
	if (!tracefs)
		return pl_attach_err(err, errlen, rc ?: -ENOENT,
				     "tracepoint '%s/%s': tracefs is not mounted and cannot be: %s",
				     cat, name, strerror(-(rc ?: -ENOENT)));
	snprintf(path, sizeof(path), "%s/events/%s/%s", tracefs, cat, name);
	if (stat(path, &st) && errno == EACCES)
		return unreadable_tracefs(tracefs, cat, name, err, errlen);
	if (stat(path, &st))
		return pl_attach_err(err, errlen, -ENOENT, "tracepoint '%s/%s' does not exist",
				     cat, name);

	rc = take(link, bpf_program__attach_tracepoint(prog, cat, name));
	if (rc)
		return pl_attach_err(err, errlen, rc, "tracepoint '%s/%s': attach failed: %s",
				     cat, name, strerror(-rc));
	pl_link__set_desc(link, "tracepoint %s/%s", cat, name);
	return 0;
}

static const char *const tracepoint_secs[] = { "tracepoint+", "tp+", NULL };

const struct pl_attach_kind pl_attach_tracepoint = {
	.name = "tracepoint",
	.secs = tracepoint_secs,
	.attach = tracepoint_attach,
	.caps = PL_CAP(CAP_PERFMON),
};

/* ---- raw tracepoint ------------------------------------------------------- */

static int raw_tp_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			 struct pl_link *link, char *err, size_t errlen)
{
	static const char *const prefixes[] = {
		"raw_tp/", "raw_tracepoint/", "raw_tp.w/", "raw_tracepoint.w/",
	};
	const char *name = opts->tracepoint;
	int rc;

	for (size_t i = 0; !name && i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		name = pl_sec_after(prog, prefixes[i]);
	if (!name || !*name)
		return pl_attach_err(err, errlen, -EINVAL,
				     "raw_tp program needs a target: SEC(\"raw_tp/NAME\") or tracepoint=\"NAME\"");
	/* Raw tracepoints have no category; accept "syscalls/sys_enter" too. */
	if (strchr(name, '/'))
		name = strrchr(name, '/') + 1;

	rc = take(link, bpf_program__attach_raw_tracepoint(prog, name));
	if (rc == -ENOENT)
		return pl_attach_err(err, errlen, rc, "raw_tp '%s': no such raw tracepoint", name);
	if (rc)
		return pl_attach_err(err, errlen, rc, "raw_tp '%s': attach failed: %s", name,
				     strerror(-rc));
	pl_link__set_desc(link, "raw_tp %s", name);
	return 0;
}

static const char *const raw_tp_secs[] = {
	"raw_tp+", "raw_tracepoint+", "raw_tp.w+", "raw_tracepoint.w+", NULL,
};

const struct pl_attach_kind pl_attach_raw_tp = {
	.name = "raw_tp",
	.secs = raw_tp_secs,
	.attach = raw_tp_attach,
	.caps = PL_CAP(CAP_PERFMON),
};

/* ---- tp_btf, fentry/fexit: the target was resolved by libbpf at load ------ */

static int trace_attach(const char *kind, struct bpf_program *prog, struct pl_link *link,
			char *err, size_t errlen)
{
	const char *sec = bpf_program__section_name(prog);
	const char *target = strchr(sec, '/') ? strchr(sec, '/') + 1 : sec;
	int rc = take(link, bpf_program__attach_trace(prog));

	if (rc)
		return pl_attach_err(err, errlen, rc, "%s '%s': attach failed: %s", kind, target,
				     strerror(-rc));
	pl_link__set_desc(link, "%s %s", kind, target);
	return 0;
}

static int tp_btf_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			 struct pl_link *link, char *err, size_t errlen)
{
	(void)opts;
	return trace_attach("tp_btf", prog, link, err, errlen);
}

static const char *const tp_btf_secs[] = { "tp_btf/", NULL };

const struct pl_attach_kind pl_attach_tp_btf = {
	.name = "tp_btf",
	.secs = tp_btf_secs,
	.attach = tp_btf_attach,
	.caps = PL_CAP(CAP_PERFMON),
};

static int fentry_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			 struct pl_link *link, char *err, size_t errlen)
{
	const char *sec = bpf_program__section_name(prog);
	char kind[16];

	(void)opts;
	snprintf(kind, sizeof(kind), "%.*s", (int)strcspn(sec, "/"), sec);
	return trace_attach(kind, prog, link, err, errlen);
}

static const char *const fentry_secs[] = {
	"fentry/", "fexit/", "fmod_ret/", "fentry.s/", "fexit.s/", "fmod_ret.s/", NULL,
};

const struct pl_attach_kind pl_attach_fentry = {
	.name = "fentry",
	.secs = fentry_secs,
	.attach = fentry_attach,
	.caps = PL_CAP(CAP_PERFMON),
};

/* ---- kprobes -------------------------------------------------------------- */

/* Kprobes exist when the kernel has the kprobe PMU or tracefs kprobe_events
 * (both come with CONFIG_KPROBE_EVENTS). Without them libbpf's attach fails
 * with a bare ENOENT from a file it looked for, which explains nothing. */
static bool kprobes_available(void)
{
	char path[256];

	if (access("/sys/bus/event_source/devices/kprobe", F_OK) == 0)
		return true;
	pl_mounts_ensure_tracefs();
	const char *tracefs = pl_tracefs_dir();
	if (!tracefs)
		return false;
	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	return access(path, F_OK) == 0;
}

static int kprobe_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			 struct pl_link *link, char *err, size_t errlen)
{
	const char *sec = bpf_program__section_name(prog);
	size_t kind_len = strcspn(sec, "/");
	const char *target = opts->symbol ?: sec[kind_len] ? sec + kind_len + 1 : "";
	char kind[32];
	int rc;

	snprintf(kind, sizeof(kind), "%.*s", (int)kind_len, sec);
	if (!kprobes_available())
		return pl_attach_err(err, errlen, -EOPNOTSUPP,
				     "%s '%s': kprobes are not available on this kernel "
				     "(CONFIG_KPROBES is off)", kind, target);
	if (!*target)
		return pl_attach_err(err, errlen, -EINVAL,
				     "%s program needs a target: SEC(\"%s/FUNCTION\") or symbol=",
				     kind, kind);

	/* SEC() names the target: libbpf parses it. symbol= overrides it. */
	bool ret = !strncmp(kind, "kret", 4) || opts->retprobe;
	if (!opts->symbol || strchr(kind, '.')) {
		rc = take(link, bpf_program__attach(prog));
	} else if (strstr(kind, "syscall")) {
		LIBBPF_OPTS(bpf_ksyscall_opts, kopts, .retprobe = ret);
		rc = take(link, bpf_program__attach_ksyscall(prog, opts->symbol, &kopts));
	} else {
		LIBBPF_OPTS(bpf_kprobe_opts, kopts, .offset = opts->offset, .retprobe = ret);
		rc = take(link, bpf_program__attach_kprobe_opts(prog, opts->symbol, &kopts));
	}
	if (rc == -ENOENT)
		return pl_attach_err(err, errlen, rc, "%s '%s': no such kernel function", kind,
				     target);
	if (rc)
		return pl_attach_err(err, errlen, rc, "%s '%s': attach failed: %s", kind, target,
				     strerror(-rc));
	pl_link__set_desc(link, "%s %s", kind, target);
	return 0;
}

static const char *const kprobe_secs[] = {
	"kprobe+", "kretprobe+", "ksyscall+", "kretsyscall+", "kprobe.multi+",
	"kretprobe.multi+", NULL,
};

const struct pl_attach_kind pl_attach_kprobe = {
	.name = "kprobe",
	.secs = kprobe_secs,
	.attach = kprobe_attach,
	.caps = PL_CAP(CAP_PERFMON),
};
