/* mounts.c — mount tracefs and bpffs when they are missing. */
#include "bpf/mounts.h"
#include "base/log.h"

#include <errno.h>
#include <mntent.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#define TRACEFS_DEBUGFS_DIR "/sys/kernel/debug/tracing"
#define BPFFS_DIR "/sys/fs/bpf"

/* Find the first mount of FSTYPE (at DIR, if DIR is not NULL); copy its
 * mount point into BUF. Returns 1 if found, 0 if not, negative errno. */
static int find_mount(const char *dir, const char *fstype, char *buf, size_t len)
{
	struct mntent ent;
	char strings[4096];
	int found = 0;

	FILE *f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return -errno;
	while (getmntent_r(f, &ent, strings, sizeof(strings))) {
		if (strcmp(ent.mnt_type, fstype) || (dir && strcmp(ent.mnt_dir, dir)))
			continue;
		if (buf && len)
			snprintf(buf, len, "%s", ent.mnt_dir);
		found = 1;
		break;
	}
	endmntent(f);
	return found;
}

int pl_is_mounted(const char *dir, const char *fstype)
{
	return find_mount(dir, fstype, NULL, 0) > 0;
}

static int ensure(const char *dir, const char *fstype, const char *what,
		  unsigned long flags, const char *data)
{
	int found = find_mount(dir, fstype, NULL, 0);

	if (found > 0)
		return 0;
	if (found < 0) {
		pl_log(PL_LOG_WARN, "cannot read /proc/self/mounts: %s", strerror(-found));
		return found;
	}
	if (mount(fstype, dir, fstype, flags, data)) {
		int err = -errno;

		/* The caller says what it needed the mount for. */
		pl_log(PL_LOG_INFO, "cannot mount %s at %s: %s", what, dir, strerror(-err));
		return err;
	}
	pl_log(PL_LOG_INFO, "mounted %s at %s", what, dir);
	return 0;
}

int pl_mounts_ensure_tracefs(void)
{
	/* A tracefs automounted under debugfs serves libbpf as well. */
	if (pl_is_mounted(TRACEFS_DEBUGFS_DIR, "tracefs"))
		return 0;
	return ensure(PL_TRACEFS_DIR, "tracefs", "tracefs",
		      MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

int pl_mounts_ensure_bpffs(void)
{
	return ensure(BPFFS_DIR, "bpf", "bpffs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700");
}

int pl_mounts_ensure(void)
{
	int err = pl_mounts_ensure_tracefs();
	int err2 = pl_mounts_ensure_bpffs();

	return err ?: err2;
}

const char *pl_tracefs_dir(void)
{
	if (pl_is_mounted(PL_TRACEFS_DIR, "tracefs"))
		return PL_TRACEFS_DIR;
	if (pl_is_mounted(TRACEFS_DEBUGFS_DIR, "tracefs"))
		return TRACEFS_DEBUGFS_DIR;
	return NULL;
}

int pl_cgroup2_dir(char *buf, size_t len)
{
	/* The usual place first: with several cgroup2 mounts it is the one
	 * meant. */
	if (pl_is_mounted("/sys/fs/cgroup", "cgroup2")) {
		snprintf(buf, len, "%s", "/sys/fs/cgroup");
		return 0;
	}
	int found = find_mount(NULL, "cgroup2", buf, len);
	return found > 0 ? 0 : found ?: -ENOENT;
}
