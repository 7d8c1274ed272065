/* trace_relay.c — bpf_printk lines through a tracefs instance of our own
 * (trace_relay.h). */
#include "events/trace_relay.h"

#include "bpf/mounts.h"
#include "bpf/printk_tag.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define INSTANCE_PREFIX "pktlua_"
#define BUFFER_KB "256"          /* per CPU: printk is for debugging, not bulk */
#define LINE_MAX_LEN 4096

struct pl_trace_relay {
	pl_trace_line_fn fn;
	void *ctx;
	int fd;                      /* the instance's trace_pipe */
	int pid;
	char dir[320];               /* the instance */
	char buf[LINE_MAX_LEN * 2];
	size_t used;
};

static int write_file(const char *dir, const char *name, const char *value)
{
	char path[512];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, value, strlen(value)) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Instances of pktlua processes that no longer exist. */
static void remove_stale(const char *instances)
{
	DIR *d = opendir(instances);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char *end;
		if (strncmp(e->d_name, INSTANCE_PREFIX, strlen(INSTANCE_PREFIX)))
			continue;
		long pid = strtol(e->d_name + strlen(INSTANCE_PREFIX), &end, 10);
		if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", instances, e->d_name);
		rmdir(path);
	}
	closedir(d);
}

struct pl_trace_relay *pl_trace_relay__new(pl_trace_line_fn fn, void *ctx,
					   char *err, size_t errlen)
{
	struct pl_trace_relay *r;
	const char *tracefs;
	char instances[256];
	int e;

	e = -pl_mounts_ensure_tracefs();
	tracefs = pl_tracefs_dir();
	if (!tracefs) {
		snprintf(err, errlen, "tracefs is not mounted and cannot be: %s",
			 strerror(e ? e : ENOENT));
		errno = e ? e : ENOENT;
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r->fn = fn;
	r->ctx = ctx;
	r->fd = -1;
	r->pid = getpid();
	snprintf(instances, sizeof(instances), "%s/instances", tracefs);
	remove_stale(instances);
	snprintf(r->dir, sizeof(r->dir), "%s/" INSTANCE_PREFIX "%d", instances, r->pid);
	if (mkdir(r->dir, 0700) && errno != EEXIST) {
		e = errno;
		snprintf(err, errlen, "cannot make tracefs instance %s: %s", r->dir, strerror(e));
		r->dir[0] = '\0';
		goto fail;
	}
	/* Small buffers; the event (and nothing else) on. */
	write_file(r->dir, "buffer_size_kb", BUFFER_KB);
	e = -write_file(r->dir, "events/bpf_trace/bpf_trace_printk/enable", "1");
	if (e) {
		snprintf(err, errlen, "cannot enable bpf_trace_printk in %s: %s", r->dir,
			 strerror(e));
		goto fail;
	}
	char path[512];
	snprintf(path, sizeof(path), "%s/trace_pipe", r->dir);
	r->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (r->fd < 0) {
		e = errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
		goto fail;
	}
	return r;
fail:
	pl_trace_relay__free(r);
	errno = e;
	return NULL;
}

/* "   comm-123  [001] d..31  12.345: bpf_trace_printk: msg" → msg. */
static void hand_over(struct pl_trace_relay *r, const char *line, size_t len)
{
	static const char mark[] = ": bpf_trace_printk: ";
	const char *m = memmem(line, len, mark, sizeof(mark) - 1);

	if (!m)
		return;                                  /* not a printk line */
	m += sizeof(mark) - 1;
	len -= (size_t)(m - line);
	m = pl_printk_tag__mine(m, &len, r->pid);
	if (m)
		r->fn(r->ctx, m, len);
}

int pl_trace_relay__read(struct pl_trace_relay *r)
{
	int lines = 0;

	if (!r || r->fd < 0)
		return 0;
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->used, sizeof(r->buf) - r->used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -errno;
		}
		if (n == 0)
			break;
		r->used += (size_t)n;
		char *start = r->buf, *end = r->buf + r->used, *nl;
		while ((nl = memchr(start, '\n', (size_t)(end - start)))) {
			hand_over(r, start, (size_t)(nl - start));
			lines++;
			start = nl + 1;
		}
		r->used = (size_t)(end - start);
		if (r->used == sizeof(r->buf)) {
			hand_over(r, r->buf, r->used);           /* an endless line: cut */
			r->used = 0;
		} else {
			memmove(r->buf, start, r->used);
		}
	}
	return lines;
}

void pl_trace_relay__free(struct pl_trace_relay *r)
{
	if (!r)
		return;
	if (r->fd >= 0) {
		pl_trace_relay__read(r);
		close(r->fd);
	}
	if (r->dir[0]) {
		write_file(r->dir, "events/bpf_trace/bpf_trace_printk/enable", "0");
		rmdir(r->dir);
	}
	free(r);
}
