/* loader.c — open and load a compiled object with libbpf; explain failures
 * in terms of the user's script. */
#include "bpf/loader.h"
#include "base/log.h"
#include "bpf/caps.h"
#include "bpf/globals.h"
#include "bpf/mounts.h"
#include "bpf/printk_tag.h"
#include "bpf/runtime_maps.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal errno, leaks out of bpf() */
#endif

/* Verifier logs of big programs run to megabytes; a log that does not fit
 * makes the kernel fail the load with ENOSPC instead of the real reason.
 * malloc() of untouched pages costs nothing, so be generous. */
#define VERIFIER_LOG_SIZE (16u << 20)

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Lines the verifier prints after the reason, not part of it. */
static bool is_trailer(const char *line, size_t len)
{
	static const char *const trailers[] = {
		"processed ", "verification time", "stack depth", "max_states_per_insn",
		"Validating ", "Func#", "-- END", "mark_precise",
	};
	if (len == 0)
		return true;
	for (size_t i = 0; i < sizeof(trailers) / sizeof(trailers[0]); i++)
		if (len >= strlen(trailers[i]) && starts_with(line, trailers[i]))
			return true;
	return false;
}

static void copy_span(char *dst, size_t dst_len, const char *src, size_t len)
{
	if (!dst_len)
		return;
	if (len >= dst_len)
		len = dst_len - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* "12: (61) r1 = ..." or "12: R1=ctx()": an instruction or a state dump. */
static bool is_insn_line(const char *line, size_t len)
{
	size_t i = 0;

	while (i < len && line[i] >= '0' && line[i] <= '9')
		i++;
	return (i > 0 && i < len && line[i] == ':') ||
	       (len > 5 && starts_with(line, "from "));
}

void pl_verifier_log_summary(const char *log, char *reason, size_t reason_len,
			     char *where, size_t where_len)
{
	const char *where_at = NULL;
	size_t where_n = 0, used = 0;

	copy_span(reason, reason_len, "", 0);
	copy_span(where, where_len, "", 0);
	if (!log)
		return;

	/* One pass: remember the last source annotation ("; int x = *p; @
	 * x.lua:14", BTF line info printed before each line's instructions);
	 * the reason is what the verifier says after the last instruction,
	 * minus the statistics trailer. An annotation or instruction after a
	 * reason line starts the reason over (it was not the last word). */
	for (const char *p = log; *p;) {
		const char *eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		size_t n = eol - p;
		if (n && *p == ';') {
			for (const char *at = eol - 1; at > p; at--)
				if (at[0] == '@' && at[-1] == ' ' && at + 2 <= eol) {
					where_at = at + 2;
					where_n = eol - where_at;
					break;
				}
			used = 0;
		} else if (is_insn_line(p, n)) {
			used = 0;
		} else if (!is_trailer(p, n) && reason_len > 1) {
			if (used && used + 2 < reason_len) {
				memcpy(reason + used, "; ", 2);
				used += 2;
			}
			if (used < reason_len - 1) {
				size_t k = n < reason_len - 1 - used ? n : reason_len - 1 - used;
				memcpy(reason + used, p, k);
				used += k;
			}
		}
		if (reason_len)
			reason[used < reason_len ? used : reason_len - 1] = '\0';
		p = *eol ? eol + 1 : eol;
	}
	if (where_at)
		copy_span(where, where_len, where_at, where_n);
}

static char *format_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *format_msg(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* "tracing", "xdp": the program type as libbpf spells it. */
static const char *prog_type_words(const struct bpf_program *prog)
{
	const char *s = libbpf_bpf_prog_type_str(bpf_program__type(prog));

	return s ? s : "this type of";
}

static bool is_fentry_like(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	return starts_with(sec, "fentry") || starts_with(sec, "fexit") ||
	       starts_with(sec, "fmod_ret") || starts_with(sec, "lsm");
}

/* The verifier prints "base.lua:15" for a BTF file "dir/base.lua": give
 * WHERE back the path the user knows, when it is the script's. */
static void restore_path(char *where, size_t len, const char *source_file)
{
	const char *colon = strrchr(where, ':');

	if (!source_file || !colon)
		return;
	const char *base = strrchr(source_file, '/');
	base = base ? base + 1 : source_file;
	if (base == source_file || strlen(base) != (size_t)(colon - where) ||
	    strncmp(where, base, colon - where))
		return;
	char line[32];
	snprintf(line, sizeof(line), "%s", colon);
	snprintf(where, len, "%s%s", source_file, line);
}

/* libbpf warnings that are not a failure's reason: ones it recovered from
 * (a map made again without BTF), and the lines that only repeat that
 * something failed. */
static bool is_noise(const char *w)
{
	static const char *const noise[] = {
		"Retrying without BTF", "BTF is optional, ignoring", "Error loading BTF",
		"Error loading .BTF", "PROG LOAD LOG --", "failed to load object",
		"BPF program load failed", "failed to load program", "failed to load BPF",
		"failed to load: -", "failed to prepare load attributes",
	};
	for (size_t i = 0; i < sizeof(noise) / sizeof(noise[0]); i++)
		if (strstr(w, noise[i]))
			return true;
	return false;
}

/* What libbpf said about program NAME ("prog 'NAME': REASON"), without the
 * prefix and a trailing ": -ERRNO", in OUT; "" when it said nothing but
 * noise. */
static void libbpf_reason(const char *name, char *out, size_t len)
{
	char prefix[160];
	const char *w;

	snprintf(prefix, sizeof(prefix), "prog '%s': ", name);
	out[0] = '\0';
	for (int i = 0; (w = pl_log_libbpf_warning_at(i)); i++) {
		if (!starts_with(w, prefix) || is_noise(w))
			continue;
		snprintf(out, len, "%s", w + strlen(prefix));
		char *colon = strrchr(out, ':');
		if (colon && colon[1] == ' ' && colon[2] == '-' && colon[3] >= '0' &&
		    colon[3] <= '9' && strspn(colon + 3, "0123456789") == strlen(colon + 3))
			*colon = '\0';
		return;
	}
}

/* The kind of program SEC names, for "this kernel refuses ... programs". */
static const char *kind_words(const char *sec)
{
	if (starts_with(sec, "iter"))
		return "BPF iterator (iter/)";
	if (starts_with(sec, "struct_ops"))
		return "struct_ops";
	if (starts_with(sec, "freplace"))
		return "freplace (extension)";
	if (starts_with(sec, "syscall"))
		return "syscall";
	return NULL;
}

/* Why a program failed to load, in one line. */
static char *explain_prog_failure(struct bpf_program *prog, int err, const char *log,
				  const char *source_file)
{
	const char *name = bpf_program__name(prog);
	const char *sec = bpf_program__section_name(prog);
	char reason[512], where[256], lib[512];

	if (bpf_program__type(prog) == BPF_PROG_TYPE_UNSPEC)
		return format_msg("program '%s': unknown section '%s' (try tracepoint/, raw_tp/, "
				  "tp_btf/, uprobe/, usdt/, xdp, tc, socket, cgroup_skb/, perf_event)",
				  name, sec);
	if (is_fentry_like(prog) && (err == -EPERM || err == -ENOTSUPP || err == -EOPNOTSUPP))
		return format_msg("program '%s' (%s): this kernel refuses fentry/fexit/LSM "
				  "programs (%s); use tp_btf/ or raw_tp/ instead",
				  name, sec, strerror(-err));

	pl_verifier_log_summary(log, reason, sizeof(reason), where, sizeof(where));
	restore_path(where, sizeof(where), source_file);
	/* "... prohibited for !root" and the like: the verifier's pointer
	 * checks (allow_ptr_leaks, bypass_spec_v1) relax only with
	 * CAP_PERFMON, whatever the program type; pktlua's packet parsers
	 * need that. Say it is a capability, not a bug in the program. */
	char perfmon[320] = "", why[256];
	if (strstr(reason, "!root") && pl_caps_explain(PL_CAP(CAP_PERFMON), why, sizeof(why)))
		snprintf(perfmon, sizeof(perfmon), "; accepting it %s", why);
	if (reason[0])
		return format_msg("%s%sprogram '%s' rejected by the verifier: %s%s%s",
				  where, where[0] ? ": " : "", name, reason, perfmon,
				  pl_log_get_level() < PL_LOG_INFO ? " (-v shows the verifier log)" : "");
	if (err == -EPERM) {
		if (pl_caps_explain(pl_caps_for_prog_type(bpf_program__type(prog),
							  pl_caps_unpriv_bpf()), why, sizeof(why)))
			return format_msg("program '%s' (%s): loading it %s", name, sec, why);
	}

	/* libbpf's own reason, when it stopped before the kernel: an attach
	 * target not in the kernel's BTF (tp_btf/NAME, fentry/FUNC: libbpf
	 * looks up btf_trace_NAME or FUNC and says only ESRCH otherwise). */
	libbpf_reason(name, lib, sizeof(lib));
	const char *target = strchr(sec, '/') ? strchr(sec, '/') + 1 : "";
	if (strstr(lib, "failed to find kernel BTF type ID") && target[0]) {
		if (starts_with(sec, "tp_btf/"))
			return format_msg("program '%s' (%s): the kernel has no tracepoint '%s' "
					  "(no btf_trace_%s in its BTF)", name, sec, target, target);
		return format_msg("program '%s' (%s): the kernel has no function '%s' in its BTF "
				  "(libbpf: %s)", name, sec, target, lib);
	}
	if (lib[0])
		return format_msg("program '%s' (%s) failed to load: %s", name, sec, lib);

	/* EPERM with nothing from the verifier, though pktlua holds what the
	 * program type needs: the kernel refuses that kind of program. */
	const char *kind = kind_words(sec);
	if (err == -EPERM)
		return format_msg("program '%s' (%s): this kernel refuses %s programs (%s, with "
				  "the capabilities they need held)", name, sec,
				  kind ? kind : prog_type_words(prog), strerror(-err));
	return format_msg("program '%s' (%s) failed to load: %s", name, sec, strerror(-err));
}

/* The program libbpf's warnings name first ("prog 'NAME': ..."): earlier
 * warnings may be about maps it recovered from. */
static struct bpf_program *failed_program(struct bpf_object *obj)
{
	const char *w;
	char name[128];

	for (int i = 0; (w = pl_log_libbpf_warning_at(i)); i++) {
		struct bpf_program *p;
		if (sscanf(w, "prog '%127[^']'", name) == 1 &&
		    (p = bpf_object__find_program_by_name(obj, name)))
			return p;
	}
	return NULL;
}

/* libbpf's first warning that is a reason ("" if none). */
static const char *object_reason(void)
{
	const char *w;

	for (int i = 0; (w = pl_log_libbpf_warning_at(i)); i++)
		if (!is_noise(w))
			return w;
	return pl_log_libbpf_warning();
}

/* Before the kernel is asked: does pktlua hold what loading OBJ needs? The
 * kernel would say only EPERM, and without CAP_BPF libbpf fails first:
 * its probe for memcg accounting cannot load a program, so it tries to
 * raise RLIMIT_MEMLOCK, which takes CAP_SYS_RESOURCE, and "Failed to bump
 * RLIMIT_MEMLOCK" would be all the user hears (libbpf 1.1 does not export
 * libbpf_set_memlock_rlim() to turn that off). So name the missing
 * capabilities here, for the first program or map that lacks one. Returns
 * 0 or -EPERM with *ERRMSG set. */
static int check_caps(struct bpf_object *obj, const char *name, char **errmsg)
{
	bool unpriv = pl_caps_unpriv_bpf();
	struct bpf_program *prog;
	struct bpf_map *map;
	char why[256];

	if (pl_caps_dropped()) {
		*errmsg = format_msg("object '%s' cannot be loaded: %s", name, PL_CAPS_DROPPED_MSG);
		return -EPERM;
	}
	bpf_object__for_each_program(prog, obj) {
		enum bpf_prog_type type = bpf_program__type(prog);

		if (!bpf_program__autoload(prog) || type == BPF_PROG_TYPE_UNSPEC)
			continue;
		if (pl_caps_explain(pl_caps_for_prog_type(type, unpriv), why, sizeof(why))) {
			*errmsg = format_msg("program '%s' (%s): loading it %s",
					     bpf_program__name(prog),
					     bpf_program__section_name(prog), why);
			return -EPERM;
		}
	}
	bpf_object__for_each_map(map, obj) {
		enum bpf_map_type type = bpf_map__type(map);

		if (pl_caps_explain(pl_caps_for_map_type(type, unpriv), why, sizeof(why))) {
			const char *tname = libbpf_bpf_map_type_str(type);

			*errmsg = format_msg("map '%s' (%s): making it %s", bpf_map__name(map),
					     tname ? tname : "unknown type", why);
			return -EPERM;
		}
	}
	return 0;
}

int pl_object_open(const void *obj, size_t len, const struct pl_load_opts *opts,
		   struct bpf_object **out, char **errmsg)
{
	const char *name = opts && opts->name ? opts->name : "snippet";

	*errmsg = NULL;
	pl_log_clear_libbpf_warning();
	LIBBPF_OPTS(bpf_object_open_opts, oopts, .object_name = name);
	*out = bpf_object__open_mem(obj, len, &oopts);
	if (*out) {
		/* pktlua_printf's ring and the like: only where a program uses them. */
		pl_runtime_maps__prune(*out, obj, len);
		return 0;
	}
	int err = -errno;
	const char *why = pl_log_libbpf_warning();
	/* struct bpf_map_def SEC("maps") of a file with its own definition of
	 * the struct: say what libbpf 1.0 wants instead. */
	const char *hint = strstr(why, "legacy map definitions") ?
		"; declare each map with BTF in SEC(\".maps\"): struct { __uint(type, "
		"BPF_MAP_TYPE_HASH); __uint(max_entries, N); __type(key, K); __type(value, V); } "
		"NAME SEC(\".maps\");" : "";
	*errmsg = format_msg("object '%s' cannot be opened: %s%s", name,
			     why[0] ? why : strerror(-err), hint);
	return err;
}

int pl_object_load_opened(struct bpf_object *bobj, const struct pl_load_opts *opts,
			  char **errmsg)
{
	const char *name = opts && opts->name ? opts->name : "snippet";
	struct bpf_program *prog;
	char *log = NULL;
	int err = 0;

	*errmsg = NULL;
	pl_log_clear_libbpf_warning();

	err = check_caps(bobj, name, errmsg);
	if (err)
		goto out;
	/* Maps pinned by name (LIBBPF_PIN_BY_NAME) are pinned and reused by
	 * libbpf during the load: bpffs must be there. Nothing else mounts it
	 * (bpf/mounts.h); a failure shows as libbpf's pin error. */
	struct bpf_map *map;
	bpf_object__for_each_map(map, bobj)
		if (bpf_map__pin_path(map)) {
			pl_mounts_ensure_bpffs();
			break;
		}

	/* One buffer serves every program: libbpf loads them one at a time and
	 * we only read the log of the one that failed. With log_level 0 libbpf
	 * loads without a log and retries at level 1 into this buffer on failure. */
	log = malloc(VERIFIER_LOG_SIZE);
	if (!log) {
		err = -ENOMEM;
		goto out;
	}
	log[0] = '\0';
	bpf_object__for_each_program(prog, bobj) {
		bpf_program__set_log_buf(prog, log, VERIFIER_LOG_SIZE);
		if (pl_log_get_level() >= PL_LOG_DEBUG)
			bpf_program__set_log_level(prog, 1);
	}

	/* bpf_printk lines: this process's tag (printk_tag.h). */
	pl_printk_tag__fill(bobj, getpid());
	err = bpf_object__load(bobj);
	if (pl_log_get_level() >= PL_LOG_DEBUG && log[0])
		pl_log(PL_LOG_DEBUG, "verifier log of object '%s':\n%s", name, log);
	if (!err) {
		/* Global variables: the live maps, as a skeleton has them. */
		err = pl_globals__map_loaded(bobj);
		if (err)
			*errmsg = format_msg("object '%s': cannot map its global variables: %s",
					     name, strerror(-err));
		goto out;
	}

	/* Which program failed? libbpf unloads them all on failure, so fds
	 * do not tell; its first warning does ("prog 'NAME': ..."). */
	prog = failed_program(bobj);
	if (prog) {
		if (log[0])
			pl_log(PL_LOG_INFO, "verifier log of program '%s':\n%s",
			       bpf_program__name(prog), log);
		*errmsg = explain_prog_failure(prog, err, log, opts ? opts->source_file : NULL);
		goto out;
	}
	/* Not a program: maps, BTF, relocations. libbpf said why. */
	const char *why = object_reason();
	*errmsg = format_msg("object '%s' failed to load: %s", name,
			     why[0] ? why : strerror(-err));
out:
	free(log);
	if (err && !*errmsg)
		*errmsg = format_msg("object '%s': %s", name, strerror(-err));
	return err;
}

int pl_object_load(const void *obj, size_t len, const struct pl_load_opts *opts,
		   struct bpf_object **out, char **errmsg)
{
	struct bpf_object *bobj;
	int err = pl_object_open(obj, len, opts, &bobj, errmsg);

	*out = NULL;
	if (err)
		return err;
	err = pl_object_load_opened(bobj, opts, errmsg);
	if (err) {
		bpf_object__close(bobj);
		return err;
	}
	*out = bobj;
	return 0;
}
