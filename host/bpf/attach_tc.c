/* attach_tc.c — tc (clsact-style) programs on an interface, as tcx links.
 *
 * A tcx link (Linux 6.6+) is released with the last fd to it, so the program
 * leaves the interface when the process ends, SIGKILL included; the classic
 * clsact qdisc + netlink filter would stay behind. libbpf 1.1 has no tcx
 * helper, so the link is made with bpf_link_create() directly. */
#include "bpf/attach_kind.h"
#include "bpf/caps.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

/* The uapi header of Debian 12 (linux-libc-dev 6.1) predates tcx: these are
 * the values of enum bpf_attach_type in Linux 6.6+ include/uapi/linux/bpf.h. */
#define PL_BPF_TCX_INGRESS ((enum bpf_attach_type)46)
#define PL_BPF_TCX_EGRESS ((enum bpf_attach_type)47)
#define PL_BPF_F_BEFORE (1U << 3)

/* libbpf 1.1 knows SEC("tc") and SEC("classifier") only: a program in
 * SEC("tcx/ingress") (libbpf 1.3's name) or SEC("tc/egress") would be opened
 * without a program type and fail to load. Teach libbpf those names before
 * any object is opened; the direction is read back from them at attach. */
__attribute__((constructor)) static void register_tc_secs(void)
{
	static const char *const secs[] = { "tcx/ingress", "tcx/egress", "tc/ingress", "tc/egress" };

	if (libbpf_major_version() > 1 || libbpf_minor_version() >= 3)
		return;
	for (size_t i = 0; i < sizeof(secs) / sizeof(secs[0]); i++)
		libbpf_register_prog_handler(secs[i], BPF_PROG_TYPE_SCHED_CLS, 0, NULL);
}

static int tc_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
		     struct pl_link *link, char *err, size_t errlen)
{
	const char *iface = opts->iface, *dir = opts->direction;
	const char *sec = bpf_program__section_name(prog);
	enum bpf_attach_type type;
	int fd, rc;

	if (!dir) {
		const char *slash = strchr(sec, '/');
		dir = slash ? slash + 1 : "ingress";
	}
	if (!strcmp(dir, "ingress"))
		type = PL_BPF_TCX_INGRESS;
	else if (!strcmp(dir, "egress"))
		type = PL_BPF_TCX_EGRESS;
	else
		return pl_attach_err(err, errlen, -EINVAL,
				     "tc attach%s%s%s: unknown direction '%s' (use \"ingress\" or \"egress\")",
				     iface ? " to '" : "", iface ?: "", iface ? "'" : "", dir);
	if (!iface)
		return pl_attach_err(err, errlen, -EINVAL, "tc program needs iface=");
	unsigned int ifindex = if_nametoindex(iface);
	if (!ifindex)
		return pl_attach_err(err, errlen, -ENODEV, "tc attach to '%s': no such interface",
				     iface);
	if (bpf_program__type(prog) != BPF_PROG_TYPE_SCHED_CLS)
		return pl_attach_err(err, errlen, -EINVAL,
				     "tc attach to '%s': SEC(\"%s\") is not a classifier; use SEC(\"tc\")",
				     iface, sec);

	/* tcx runs an interface's programs in order; a new one goes last, or
	 * first with BPF_F_BEFORE and no relative program. libbpf 1.1 passes
	 * the flags through for attach types it does not know. */
	LIBBPF_OPTS(bpf_link_create_opts, lopts, .flags = opts->first ? PL_BPF_F_BEFORE : 0);
	fd = bpf_link_create(bpf_program__fd(prog), (int)ifindex, type, &lopts);
	if (fd < 0) {
		rc = pl_errno(fd);
		/* Kernels before 6.6 do not know the attach type. */
		if (rc == -EINVAL)
			return pl_attach_err(err, errlen, rc,
					     "tc attach to '%s' (%s): this kernel has no tcx links "
					     "(Linux 6.6 or later)", iface, dir);
		/* tcx holds at most 64 programs per interface and direction. */
		if (rc == -ERANGE)
			return pl_attach_err(err, errlen, rc,
					     "tc attach to '%s' (%s): the interface has as many tc "
					     "programs as tcx takes (64)", iface, dir);
		return pl_attach_err(err, errlen, rc, "tc attach to '%s' (%s): %s", iface, dir,
				     strerror(-rc));
	}
	rc = pl_link__add_fd(link, fd);
	if (rc)
		return rc;
	pl_link__set_desc(link, "tc on %s (%s%s)", iface, dir, opts->first ? ", first" : "");
	return 0;
}

static const char *const tc_secs[] = {
	"tc", "classifier", "tc/ingress", "tc/egress", "tcx/ingress", "tcx/egress", NULL,
};

const struct pl_attach_kind pl_attach_tc = {
	.name = "tc",
	.secs = tc_secs,
	.attach = tc_attach,
	.caps = PL_CAP(CAP_NET_ADMIN),
};
