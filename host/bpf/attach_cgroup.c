/* attach_cgroup.c — cgroup programs (cgroup_skb/ingress|egress, cgroup/...,
 * sockops) on a cgroup v2 directory, as BPF links: they leave the cgroup
 * when the process ends. */
#include "bpf/attach_kind.h"
#include "bpf/caps.h"
#include "bpf/mounts.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int cgroup_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			 struct pl_link *link, char *err, size_t errlen)
{
	const char *sec = bpf_program__section_name(prog);
	enum bpf_attach_type type = bpf_program__expected_attach_type(prog);
	char root[PATH_MAX];
	const char *dir = opts->cgroup;
	struct statfs sfs;
	int cg_fd, fd, rc;

	/* SEC("cgroup/skb") has no direction; direction= gives it (ingress by
	 * default, as libbpf loads it). The other names fix theirs. */
	if (!strcmp(sec, "cgroup/skb") && opts->direction) {
		if (!strcmp(opts->direction, "egress"))
			type = BPF_CGROUP_INET_EGRESS;
		else if (!strcmp(opts->direction, "ingress"))
			type = BPF_CGROUP_INET_INGRESS;
		else
			return pl_attach_err(err, errlen, -EINVAL,
					     "cgroup_skb: unknown direction '%s' (use \"ingress\" or \"egress\")",
					     opts->direction);
	}

	/* The root of the cgroup v2 hierarchy by default: /sys/fs/cgroup, or
	 * /sys/fs/cgroup/unified on hybrid v1/v2 systems. */
	if (!dir) {
		rc = pl_cgroup2_dir(root, sizeof(root));
		if (rc)
			return pl_attach_err(err, errlen, rc,
					     "%s: no cgroup v2 hierarchy is mounted (give cgroup=DIR)",
					     sec);
		dir = root;
	}
	cg_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg_fd < 0) {
		rc = -errno;
		return pl_attach_err(err, errlen, rc, "%s attach to cgroup '%s': %s", sec, dir,
				     strerror(-rc));
	}
	if (fstatfs(cg_fd, &sfs) == 0 && sfs.f_type != CGROUP2_SUPER_MAGIC) {
		close(cg_fd);
		return pl_attach_err(err, errlen, -EINVAL,
				     "%s attach to cgroup '%s': not a cgroup v2 directory", sec, dir);
	}
	fd = bpf_link_create(bpf_program__fd(prog), cg_fd, type, NULL);
	rc = fd < 0 ? pl_errno(fd) : 0;
	/* The link holds the cgroup; our fd to it is no longer needed. */
	close(cg_fd);
	if (rc)
		return pl_attach_err(err, errlen, rc, "%s attach to cgroup '%s': %s", sec, dir,
				     strerror(-rc));
	rc = pl_link__add_fd(link, fd);
	if (rc)
		return rc;
	pl_link__set_desc(link, "%s on cgroup %s", sec, dir);
	return 0;
}

static const char *const cgroup_secs[] = { "cgroup_skb/", "cgroup/", "sockops", NULL };

const struct pl_attach_kind pl_attach_cgroup = {
	.name = "cgroup",
	.secs = cgroup_secs,
	.attach = cgroup_attach,
	.caps = PL_CAP(CAP_NET_ADMIN),
};
