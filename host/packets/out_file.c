/* out_file.c — output files written where the user points (out_file.h). */
#include "packets/out_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(struct pl_out *o, int e, char *err, size_t errlen, const char *path,
		const char *why)
{
	snprintf(err, errlen, "%s: %s", path, why ? why : strerror(e));
	free(o->path);
	free(o->tmp);
	memset(o, 0, sizeof(*o));
	return -e;
}

static int wrap_fd(struct pl_out *o, int fd, const char *path, char *err, size_t errlen)
{
	o->f = fdopen(fd, "wb");
	if (!o->f) {
		int e = errno;
		close(fd);
		if (o->tmp)
			unlink(o->tmp);
		return fail(o, e, err, errlen, path, NULL);
	}
	return 0;
}

/* Write in place: devices, FIFOs, dangling symlinks (the target is made). */
static int open_in_place(struct pl_out *o, const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);

	if (fd < 0) {
		int e = errno;
		return fail(o, e, err, errlen, path, e == ENXIO ? "cannot be opened for writing "
			    "(a FIFO without a reader, or a socket)" : NULL);
	}
	if (!(o->path = strdup(path))) {
		close(fd);
		return fail(o, ENOMEM, err, errlen, path, NULL);
	}
	return wrap_fd(o, fd, path, err, errlen);
}

/* A temporary file beside FINAL, with OLD's mode and owner (or the mode a
 * new file gets). Returns 0, or -errno with ERR set and O closed. */
static int open_temp(struct pl_out *o, const char *final, const struct stat *old,
		     char *err, size_t errlen)
{
	char *d = strdup(final), *b = strdup(final);
	int fd = -1, e = 0;

	if (!d || !b || asprintf(&o->tmp, "%s/.%s.XXXXXX", dirname(d), basename(b)) < 0) {
		o->tmp = NULL;
		e = ENOMEM;
	} else if ((fd = mkstemp(o->tmp)) < 0) {
		e = errno;
		free(o->tmp);
		o->tmp = NULL;
	}
	free(d);
	free(b);
	if (e) {
		snprintf(err, errlen, "%s: cannot create a file beside it: %s", final, strerror(e));
		return -e;
	}
	if (old) {
		/* The old file's owner when we may give it away, else ours. */
		fchmod(fd, old->st_mode & 07777);
		(void)!fchown(fd, old->st_uid, old->st_gid);
	} else {
		mode_t mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);    /* as tcpdump -w creates it */
	}
	if (!(o->path = strdup(final))) {
		close(fd);
		unlink(o->tmp);
		return fail(o, ENOMEM, err, errlen, final, NULL);
	}
	return wrap_fd(o, fd, final, err, errlen);
}

int pl_out_open(struct pl_out *o, const char *path, char *err, size_t errlen)
{
	struct stat st;

	memset(o, 0, sizeof(*o));
	if (!strcmp(path, "-")) {
		o->f = stdout;
		o->path = strdup("-");
		return o->path ? 0 : fail(o, ENOMEM, err, errlen, path, NULL);
	}
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			return fail(o, EISDIR, err, errlen, path, NULL);
		if (S_ISSOCK(st.st_mode))
			return fail(o, ENXIO, err, errlen, path, "is a socket, not a file");
		if (S_ISREG(st.st_mode) && st.st_nlink == 1) {
			char *real = realpath(path, NULL);
			int rc = real ? open_temp(o, real, &st, err, errlen) : -errno;
			free(real);
			if (!rc)
				return 0;
			/* No file can be made beside it (a directory we may
			 * not write, /proc, /sys): write it in place, as
			 * tcpdump would. */
			if (rc == -ENOMEM)
				return rc;
		}
		return open_in_place(o, path, err, errlen);
	}
	if (errno != ENOENT)
		return fail(o, errno, err, errlen, path, NULL);
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
		return open_in_place(o, path, err, errlen);   /* dangling: make its target */
	return open_temp(o, path, NULL, err, errlen);
}

int pl_out_close(struct pl_out *o, bool keep, char *err, size_t errlen)
{
	int rc = 0;

	if (o->f) {
		if (fflush(o->f) || ferror(o->f))
			rc = -(errno ? errno : EIO);
		if (o->f != stdout && fclose(o->f) && !rc)
			rc = -(errno ? errno : EIO);
		o->f = NULL;
		if (rc)
			snprintf(err, errlen, "%s: cannot write: %s", o->path, strerror(-rc));
	}
	if (o->tmp) {
		if (keep && !rc && rename(o->tmp, o->path) < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: cannot rename %s to it: %s", o->path, o->tmp,
				 strerror(-rc));
		}
		if (!keep || rc)
			unlink(o->tmp);
	}
	free(o->tmp);
	free(o->path);
	o->tmp = o->path = NULL;
	return rc;
}
