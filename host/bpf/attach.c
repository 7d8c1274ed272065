/* attach.c — pl_attach(): pick the attach kind by SEC() name and run it.
 *
 * The kinds live one per file (attach_tracing.c, attach_uprobe.c, ...); this
 * is the one table that lists them. The pl_link they fill in, and the
 * helpers they share, are attach_kind.c's. */
#include "bpf/attach.h"
#include "bpf/attach_kind.h"
#include "bpf/caps.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* kernel-internal errno, leaks out of bpf() */
#endif

/* First match wins: more specific names before the prefixes that would
 * also match them. */
static const struct pl_attach_kind *const kinds[] = {
	&pl_attach_tracepoint,
	&pl_attach_raw_tp,
	&pl_attach_tp_btf,
	&pl_attach_fentry,
	&pl_attach_kprobe,
	&pl_attach_uprobe,
	&pl_attach_usdt,
	&pl_attach_xdp,
	&pl_attach_tc,
	&pl_attach_socket,
	&pl_attach_cgroup,
	&pl_attach_perf_event,
};

/* libbpf's SEC() matching rules (sec_def_matches in libbpf.c). */
static bool sec_matches(const char *pattern, const char *sec)
{
	size_t len = strlen(pattern);

	if (!len)
		return false;
	if (pattern[len - 1] == '/')
		return strncmp(sec, pattern, len) == 0;
	if (pattern[len - 1] == '+') {
		len--;
		return strncmp(sec, pattern, len) == 0 && (sec[len] == '\0' || sec[len] == '/');
	}
	return strcmp(sec, pattern) == 0;
}

static const struct pl_attach_kind *find_kind(const struct bpf_program *prog)
{
	const char *sec = bpf_program__section_name(prog);

	if (!sec)
		return NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		for (const char *const *p = kinds[i]->secs; *p; p++)
			if (sec_matches(*p, sec))
				return kinds[i];
	return NULL;
}

const char *pl_attach_kind_name(const struct bpf_program *prog)
{
	const struct pl_attach_kind *kind = prog ? find_kind(prog) : NULL;

	return kind ? kind->name : NULL;
}

/* ---- pl_attach ------------------------------------------------------------ */

int pl_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
	      struct pl_link **out, char *err, size_t errlen)
{
	static const struct pl_attach_opts defaults;
	const char *name = bpf_program__name(prog);
	const char *sec = bpf_program__section_name(prog);
	struct pl_link *link = NULL;
	char msg[512] = "";
	int rc;

	*out = NULL;
	if (err && errlen)
		err[0] = '\0';

	const struct pl_attach_kind *kind = find_kind(prog);
	if (pl_caps_dropped()) {
		rc = pl_attach_err(msg, sizeof(msg), -EPERM, "%s attach: %s",
				   kind ? kind->name : "program", PL_CAPS_DROPPED_MSG);
		goto out;
	}
	if (!kind) {
		rc = pl_attach_err(msg, sizeof(msg), -EOPNOTSUPP,
				   "pktlua does not know how to attach SEC(\"%s\") programs", sec);
		goto out;
	}
	if (bpf_program__fd(prog) < 0) {
		rc = pl_attach_err(msg, sizeof(msg), -EBADF,
				   "%s program is not loaded", kind->name);
		goto out;
	}

	link = calloc(1, sizeof(*link));
	if (!link) {
		rc = -ENOMEM;
		goto out;
	}
	link->kind = kind->name;
	rc = kind->attach(prog, opts ?: &defaults, link, msg, sizeof(msg));
	if (rc > 0)
		rc = -rc;
	/* Refused: name the capability that is missing, unless the kind
	 * already did. */
	char why[256];
	if ((rc == -EPERM || rc == -EACCES) && !strstr(msg, "CAP_") &&
	    pl_caps_explain(kind->caps, why, sizeof(why))) {
		size_t n = strlen(msg);

		snprintf(msg + n, sizeof(msg) - n, "%sattaching it %s%s%s",
			 n ? "; " : "", why, kind->caps_note ? ": " : "",
			 kind->caps_note ?: "");
	}
	if (!rc && !link->desc[0])
		pl_link__set_desc(link, "%s %s", kind->name, name);
out:
	if (rc) {
		if (rc == -ENOTSUPP)
			rc = -EOPNOTSUPP;
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s attach failed: %s",
				 kind ? kind->name : "program", strerror(-rc));
		/* Every message names the program; kinds that already do (the
		 * "'NAME'" in the text) are left alone. */
		char quoted[256];

		snprintf(quoted, sizeof(quoted), "'%s'", name);
		if (err && errlen && strstr(msg, quoted))
			snprintf(err, errlen, "%s", msg);
		else if (err && errlen)
			snprintf(err, errlen, "%s (program '%s')", msg, name);
		pl_link__destroy(link);
		return rc;
	}
	*out = link;
	return 0;
}
