
/* ---- appended by pktlua (runtime/compat/bpf/printk_tag.h) ----------------
 * bpf_printk's format gets a tag that pktlua fills in at load with its
 * process id, so that it relays to stderr the lines of its own programs and
 * not those of other tools printing at the same time; the tag is removed
 * from what it prints. Define PKTLUA_NO_PRINTK_TAG for libbpf's own macros. */
#ifndef PKTLUA_NO_PRINTK_TAG
#define PKTLUA_PRINTK_TAG "{pktlua:00000000}"
#undef __bpf_printk
#define __bpf_printk(fmt, ...)                                              \
({                                                                          \
	BPF_PRINTK_FMT_MOD char ____fmt[] = PKTLUA_PRINTK_TAG fmt;          \
	bpf_trace_printk(____fmt, sizeof(____fmt), ##__VA_ARGS__);          \
})
#undef __bpf_vprintk
#define __bpf_vprintk(fmt, args...)                                         \
({                                                                          \
	static const char ___fmt[] = PKTLUA_PRINTK_TAG fmt;                 \
	unsigned long long ___param[___bpf_narg(args)];                     \
	_Pragma("GCC diagnostic push")                                      \
	_Pragma("GCC diagnostic ignored \"-Wint-conversion\"")              \
	___bpf_fill(___param, args);                                        \
	_Pragma("GCC diagnostic pop")                                       \
	bpf_trace_vprintk(___fmt, sizeof(___fmt), ___param, sizeof(___param)); \
})
#endif
