/* vmlinux.c — vmlinux.h text from the running kernel's BTF (libbpf btf_dump). */
#include "vmlinux.h"

#include "log.h"

#include <bpf/btf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *text;
static size_t text_len;
static int text_err;    /* positive errno of a failed generation, remembered */

static void print_cb(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/* Same preamble and epilogue as bpftool's "format c" dump: CO-RE relocations
 * need preserve_access_index on every kernel record. */
static const char preamble[] =
	"#ifndef __VMLINUX_H__\n"
	"#define __VMLINUX_H__\n"
	"\n"
	"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
	"#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)\n"
	"#endif\n"
	"\n";
static const char epilogue[] =
	"\n"
	"#ifndef BPF_NO_PRESERVE_ACCESS_INDEX\n"
	"#pragma clang attribute pop\n"
	"#endif\n"
	"\n"
	"#endif /* __VMLINUX_H__ */\n";

static int generate(void)
{
	struct btf_dump *d = NULL;
	struct btf *btf = NULL;
	FILE *f = NULL;
	char *buf = NULL;
	size_t len = 0;
	struct timespec t0, t1;
	int err = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		err = -errno;
		pl_log(PL_LOG_INFO, "cannot load kernel BTF (/sys/kernel/btf/vmlinux): %s",
		       strerror(errno));
		goto out;
	}
	f = open_memstream(&buf, &len);
	if (!f) {
		err = -errno;
		goto out;
	}
	d = btf_dump__new(btf, print_cb, f, NULL);
	if (!d) {
		err = -errno;
		goto out;
	}
	fputs(preamble, f);
	/* Every type, in id order, as bpftool does: btf_dump emits each type's
	 * dependencies first and each type once. */
	__u32 n = btf__type_cnt(btf);
	for (__u32 id = 1; id < n && !err; id++)
		err = btf_dump__dump_type(d, id);
	if (err)
		goto out;
	fputs(epilogue, f);
	if (fflush(f) || ferror(f)) {
		err = -ENOMEM;
		goto out;
	}

	clock_gettime(CLOCK_MONOTONIC, &t1);
	pl_log(PL_LOG_DEBUG, "vmlinux.h: %zu bytes, %u types, in %.1f ms", len, n - 1,
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
out:
	if (f)
		fclose(f);      /* buf and len are final (or buf NULL) after this */
	btf_dump__free(d);
	btf__free(btf);
	if (err) {
		free(buf);
		return err;
	}
	text = buf;
	text_len = len;
	return 0;
}

const char *pl_vmlinux_h(size_t *len)
{
	if (!text && !text_err) {
		int err = generate();

		if (err)
			text_err = -err;
	}
	if (!text) {
		errno = text_err;
		return NULL;
	}
	if (len)
		*len = text_len;
	return text;
}
