/* log.h — the one levelled logging function of pktlua.
 *
 * Everything the host prints for humans on stderr goes through pl_log(),
 * libbpf's own output included (pl_log_route_libbpf). Messages are prefixed
 * "pktlua: "; colour is used only when stderr is a terminal. */
#ifndef PKTLUA_LOG_H
#define PKTLUA_LOG_H

enum pl_log_level {
	PL_LOG_ERROR = 0,
	PL_LOG_WARN = 1,
	PL_LOG_INFO = 2,   /* -v */
	PL_LOG_DEBUG = 3,  /* -vv: libbpf debug output, full verifier logs */
};

/* Messages above this level are dropped. Default: PL_LOG_WARN. */
void pl_log_set_level(enum pl_log_level level);
enum pl_log_level pl_log_get_level(void);

void pl_log(enum pl_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Send libbpf's messages through pl_log: its warnings at PL_LOG_INFO (the
 * host reports failures itself, in its own words), its debug at PL_LOG_DEBUG. */
void pl_log_route_libbpf(void);

/* The first warning libbpf printed since pl_log_clear_libbpf_warning(), with
 * its "libbpf: " prefix and trailing newline removed ("" if none): the loader
 * uses it to explain failures that have no verifier log. */
const char *pl_log_libbpf_warning(void);
/* The I-th warning since the clear (0 is the first), in the same form, or
 * NULL past the last one kept (the first 32). */
const char *pl_log_libbpf_warning_at(int i);
void pl_log_clear_libbpf_warning(void);

#endif
