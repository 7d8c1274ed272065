/* log.c — levelled logging to stderr, libbpf routed through it. */
#include "base/log.h"

#include <bpf/libbpf.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static enum pl_log_level max_level = PL_LOG_WARN;

void pl_log_set_level(enum pl_log_level level)
{
	max_level = level;
}

enum pl_log_level pl_log_get_level(void)
{
	return max_level;
}

static void vlog(enum pl_log_level level, const char *prefix, const char *fmt, va_list ap)
{
	static int colour = -1;

	if (level > max_level)
		return;
	if (colour < 0)
		colour = isatty(STDERR_FILENO);
	const char *on = "", *off = "";
	if (colour && level <= PL_LOG_WARN) {
		on = level == PL_LOG_ERROR ? "\033[31m" : "\033[33m";
		off = "\033[0m";
	}
	fprintf(stderr, "%s%s", on, prefix);
	vfprintf(stderr, fmt, ap);
	size_t n = strlen(fmt);
	fprintf(stderr, "%s%s", off, n && fmt[n - 1] == '\n' ? "" : "\n");
}

void pl_log(enum pl_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, "pktlua: ", fmt, ap);
	va_end(ap);
}

/* libbpf's warnings since the last clear, the first MAX_WARNINGS of them:
 * the first is usually the cause (later ones its consequences, "failed to
 * load object"), but not always (a warning libbpf recovered from, "Retrying
 * without BTF", comes first): the loader picks. */
#define MAX_WARNINGS 32
static char warnings[MAX_WARNINGS][512];
static int nwarnings;

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum pl_log_level ours = level == LIBBPF_DEBUG ? PL_LOG_DEBUG : PL_LOG_INFO;

	if (level == LIBBPF_WARN && nwarnings < MAX_WARNINGS) {
		va_list copy;

		va_copy(copy, ap);
		char buf[sizeof(warnings[0])];
		vsnprintf(buf, sizeof(buf), fmt, copy);
		va_end(copy);
		/* libbpf's messages carry their own "libbpf: " prefix. */
		const char *msg = strncmp(buf, "libbpf: ", 8) ? buf : buf + 8;
		/* Not reasons, warnings libbpf goes on from: the kernel refusing
		 * the object's BTF (a map of 1 << 30 entries makes an array
		 * type it finds too big; "BTF is optional, ignoring"), and
		 * RLIMIT_MEMLOCK that cannot be raised (no CAP_SYS_RESOURCE),
		 * which kernels with memcg accounting (5.11+) do not need. What
		 * fails next, if anything, is the reason. */
		static const char *const not_reasons[] = {
			"BTF loading error", "-- BEGIN BTF LOAD LOG",
			"Error loading .BTF into kernel", "Failed to bump RLIMIT_MEMLOCK",
		};
		bool reason = true;
		for (size_t i = 0; i < sizeof(not_reasons) / sizeof(not_reasons[0]); i++)
			reason &= strncmp(msg, not_reasons[i], strlen(not_reasons[i])) != 0;
		if (reason) {
			char *w = warnings[nwarnings++];
			snprintf(w, sizeof(warnings[0]), "%s", msg);
			w[strcspn(w, "\n")] = '\0';
		}
	}
	vlog(ours, "", fmt, ap);   /* libbpf prefixes its own "libbpf: " */
	return 0;
}

const char *pl_log_libbpf_warning(void)
{
	return nwarnings ? warnings[0] : "";
}

const char *pl_log_libbpf_warning_at(int i)
{
	return i >= 0 && i < nwarnings ? warnings[i] : NULL;
}

void pl_log_clear_libbpf_warning(void)
{
	nwarnings = 0;
}

void pl_log_route_libbpf(void)
{
	libbpf_set_print(libbpf_print);
}
