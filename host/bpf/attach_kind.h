/* attach_kind.h — internal to attach*.c: the attach-kind vtable and the
 * struct pl_link every kind fills in.
 *
 * A kind is one small vtable in its own file (attach_<kind>.c), listed in
 * the one table in attach.c (ply's src/libply/provider/ files). pl_attach()
 * finds the kind by the program's SEC() name, makes an empty pl_link and
 * calls the kind's attach(), which adds every kernel object it creates to
 * the link as it goes: on failure pl_attach() destroys the half-built link,
 * so a kind never cleans up what it already added. */
#ifndef PKTLUA_ATTACH_KIND_H
#define PKTLUA_ATTACH_KIND_H

#include "bpf/attach.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bpf_link;

/* One kernel object an attachment holds: a libbpf link, or a plain fd
 * (a BPF_LINK_CREATE link fd, a packet socket, ...). Exactly one is set. */
struct pl_link_part {
	struct bpf_link *link;
	int fd;                      /* -1 when link is set */
};

struct pl_link {
	const char *kind;            /* the kind's name, static */
	char desc[256];              /* "xdp on lo (skb)", ... */
	struct pl_link_part *parts;  /* destroyed last-added first */
	size_t nr_parts, cap_parts;
};

/* SEC() names a kind handles, in libbpf's notation: "xdp" matches exactly,
 * "tp/" matches "tp/..." only, "tc+" matches "tc" and "tc/...". */
struct pl_attach_kind {
	const char *name;
	const char *const *secs;     /* NULL-terminated */
	/* The capabilities attaching needs (PL_CAP() bits, bpf/caps.h), and
	 * why when it is not the obvious one: when the kernel says EPERM or
	 * EACCES and one is missing, pl_attach() names it. */
	uint64_t caps;
	const char *caps_note;
	/* Attach PROG (SEC() names one of secs) with OPTS (never NULL; zeroed
	 * fields mean "from SEC()" or the default). Add what is created to LINK
	 * and set its desc. Returns 0, or a negative errno with ERR set to one
	 * line naming the target and the reason; pl_attach() adds
	 * " (program 'NAME')" unless the line already quotes the name. */
	int (*attach)(struct bpf_program *prog, const struct pl_attach_opts *opts,
		      struct pl_link *link, char *err, size_t errlen);
};

extern const struct pl_attach_kind pl_attach_tracepoint;
extern const struct pl_attach_kind pl_attach_raw_tp;
extern const struct pl_attach_kind pl_attach_tp_btf;
extern const struct pl_attach_kind pl_attach_fentry;
extern const struct pl_attach_kind pl_attach_kprobe;
extern const struct pl_attach_kind pl_attach_uprobe;
extern const struct pl_attach_kind pl_attach_usdt;
extern const struct pl_attach_kind pl_attach_xdp;
extern const struct pl_attach_kind pl_attach_tc;
extern const struct pl_attach_kind pl_attach_socket;
extern const struct pl_attach_kind pl_attach_cgroup;
extern const struct pl_attach_kind pl_attach_perf_event;

/* Take ownership of a libbpf link / an fd. On failure (-ENOMEM) the link or
 * fd is destroyed/closed here, so the caller never leaks it. */
int pl_link__add_link(struct pl_link *link, struct bpf_link *l);
int pl_link__add_fd(struct pl_link *link, int fd);

void pl_link__set_desc(struct pl_link *link, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write one line into ERR and return ERR_CODE (a negative errno), so a kind
 * can `return pl_attach_err(err, errlen, -ENOENT, "...", ...);`. */
int pl_attach_err(char *err, size_t errlen, int err_code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The part of PROG's SEC() name after PREFIX ("tp/" → "syscalls/x"), or
 * NULL if it does not start with PREFIX. */
const char *pl_sec_after(const struct bpf_program *prog, const char *prefix);

/* libbpf reports some failures with its own codes (LIBBPF_ERRNO__*, 4000 and
 * up) or none; map ERR to a negative errno fit to return. */
int pl_errno(long err);

#endif
