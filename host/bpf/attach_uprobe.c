/* attach_uprobe.c — uprobes, uretprobes and USDT probes in user binaries.
 *
 * The binary comes from SEC("uprobe/BINARY:FUNCTION[+OFFSET]") or
 * SEC("usdt/BINARY:PROVIDER:NAME"), or from opts, which win. A binary named
 * without a '/' is found as BCC finds it: with pid=, the library of that
 * name the process has mapped ("c", "libc", "libc.so" all mean its libc);
 * then in PATH (for a "*.so*" name: the library directories, ELF files
 * only); then in the dynamic linker's cache by short name (symbols/libs.c). A
 * missing one is reported as such instead of as whatever libbpf happened to
 * fail on. */
#include "bpf/attach_kind.h"
#include "bpf/caps.h"
#include "symbols/libs.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PL_PATH_MAX 4096

/* Resolve and check the binary; ERR names KIND. */
static int find_binary(const char *kind, const char *bin, int pid, char *out, size_t len,
		       char *err, size_t errlen)
{
	int rc = pl_lib_find(bin, pid, out, len);

	if (rc)
		return pl_attach_err(err, errlen, rc, "%s: binary '%s' not found%s", kind, bin,
				     strchr(bin, '/') ? "" : " in PATH, the library directories "
				     "or the ld.so cache");
	rc = pl_lib_check_elf(out);
	if (rc == -ENOEXEC)
		return pl_attach_err(err, errlen, rc, "%s: '%s' is not an ELF binary", kind, out);
	if (rc)
		return pl_attach_err(err, errlen, rc, "%s: cannot read '%s': %s", kind, out,
				     strerror(-rc));
	return 0;
}

/* The text after the first '/' of the SEC() name, or NULL. */
static const char *sec_target(const struct bpf_program *prog)
{
	const char *slash = strchr(bpf_program__section_name(prog), '/');

	return slash && slash[1] ? slash + 1 : NULL;
}

/* ---- uprobe / uretprobe --------------------------------------------------- */

static int uprobe_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
			 struct pl_link *link, char *err, size_t errlen)
{
	const char *sec = bpf_program__section_name(prog);
	bool ret = !strncmp(sec, "uretprobe", 9) || opts->retprobe;
	const char *kind = ret ? "uretprobe" : "uprobe";
	char sec_bin[PL_PATH_MAX] = "", sec_func[256] = "", path[PL_PATH_MAX];
	unsigned long long sec_off = 0;
	int rc;

	/* SEC("uprobe/BINARY:FUNCTION[+OFFSET]"): FUNCTION may also be an
	 * offset. */
	const char *target = sec_target(prog);
	if (target) {
		const char *colon = strrchr(target, ':');
		if (!colon)
			return pl_attach_err(err, errlen, -EINVAL,
					     "%s SEC(\"%s\") is not of the form %s/BINARY:FUNCTION[+OFFSET]",
					     kind, sec, kind);
		snprintf(sec_bin, sizeof(sec_bin), "%.*s", (int)(colon - target), target);
		const char *fn = colon + 1;
		const char *plus = strchr(fn, '+');
		if (fn[0] >= '0' && fn[0] <= '9') {
			sec_off = strtoull(fn, NULL, 0);
		} else {
			snprintf(sec_func, sizeof(sec_func), "%.*s",
				 (int)(plus ? plus - fn : (long)strlen(fn)), fn);
			if (plus)
				sec_off = strtoull(plus + 1, NULL, 0);
		}
	}

	const char *bin = opts->binary ?: sec_bin[0] ? sec_bin : NULL;
	const char *func = opts->symbol ?: sec_func[0] ? sec_func : NULL;
	unsigned long long off = opts->offset ?: sec_off;
	if (!bin)
		return pl_attach_err(err, errlen, -EINVAL,
				     "%s program needs a target: binary= and symbol= (or SEC(\"%s/BINARY:FUNCTION\"))",
				     kind, kind);
	if (!func && !off)
		return pl_attach_err(err, errlen, -EINVAL,
				     "%s on '%s' needs symbol= or offset=", kind, bin);
	rc = find_binary(kind, bin, opts->pid, path, sizeof(path), err, errlen);
	if (rc)
		return rc;

	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .retprobe = ret, .func_name = func,
		    .bpf_cookie = opts->cookie);
	struct bpf_link *l = bpf_program__attach_uprobe_opts(prog, opts->pid ?: -1, path,
							      (size_t)off, &uopts);
	if (!l) {
		rc = pl_errno(-errno);
		/* libbpf resolves FUNCTION in the ELF symbol tables (.symtab and
		 * .dynsym) and says ENOENT when it is in neither. */
		if (rc == -ENOENT && func)
			return pl_attach_err(err, errlen, rc, "%s: symbol '%s' not found in %s",
					     kind, func, path);
		if (rc == -ESRCH && opts->pid)
			return pl_attach_err(err, errlen, rc, "%s: no process with pid %d", kind,
					     opts->pid);
		return pl_attach_err(err, errlen, rc, "%s %s:%s: attach failed: %s", kind, path,
				     func ?: "", strerror(-rc));
	}
	rc = pl_link__add_link(link, l);
	if (rc)
		return rc;

	char where[64] = "";
	if (opts->pid)
		snprintf(where, sizeof(where), " (pid %d)", opts->pid);
	if (func && off)
		pl_link__set_desc(link, "%s %s:%s+0x%llx%s", kind, path, func, off, where);
	else if (func)
		pl_link__set_desc(link, "%s %s:%s%s", kind, path, func, where);
	else
		pl_link__set_desc(link, "%s %s:0x%llx%s", kind, path, off, where);
	return 0;
}

static const char *const uprobe_secs[] = {
	"uprobe+", "uretprobe+", "uprobe.s+", "uretprobe.s+", NULL,
};

const struct pl_attach_kind pl_attach_uprobe = {
	.name = "uprobe",
	.secs = uprobe_secs,
	.attach = uprobe_attach,
	.caps = PL_CAP(CAP_SYS_ADMIN),
	.caps_note = "the kernel's uprobe perf events check CAP_SYS_ADMIN, CAP_PERFMON is not enough",
};

/* ---- usdt ----------------------------------------------------------------- */

static int usdt_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
		       struct pl_link *link, char *err, size_t errlen)
{
	char sec_bin[PL_PATH_MAX] = "", sec_prov[128] = "", sec_name[128] = "";
	char path[PL_PATH_MAX];
	int rc;

	/* SEC("usdt/BINARY:PROVIDER:NAME"); the binary may hold ':' itself. */
	const char *target = sec_target(prog);
	if (target) {
		const char *c2 = strrchr(target, ':');
		const char *c1 = c2 ? c2 - 1 : NULL;
		while (c1 && c1 > target && *c1 != ':')
			c1--;
		if (!c2 || !c1 || *c1 != ':')
			return pl_attach_err(err, errlen, -EINVAL,
					     "usdt SEC(\"%s\") is not of the form usdt/BINARY:PROVIDER:NAME",
					     bpf_program__section_name(prog));
		snprintf(sec_bin, sizeof(sec_bin), "%.*s", (int)(c1 - target), target);
		snprintf(sec_prov, sizeof(sec_prov), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
		snprintf(sec_name, sizeof(sec_name), "%s", c2 + 1);
	}

	const char *bin = opts->binary ?: sec_bin[0] ? sec_bin : NULL;
	const char *prov = opts->provider ?: sec_prov[0] ? sec_prov : NULL;
	const char *name = opts->name ?: sec_name[0] ? sec_name : NULL;
	if (!bin || !prov || !name)
		return pl_attach_err(err, errlen, -EINVAL,
				     "usdt program needs binary=, provider= and name= "
				     "(or SEC(\"usdt/BINARY:PROVIDER:NAME\"))");
	rc = find_binary("usdt", bin, opts->pid, path, sizeof(path), err, errlen);
	if (rc)
		return rc;

	struct bpf_link *l = bpf_program__attach_usdt(prog, opts->pid ?: -1, path, prov, name,
						      NULL);
	if (!l) {
		rc = pl_errno(-errno);
		if (rc == -ENOENT)
			return pl_attach_err(err, errlen, rc, "usdt: probe '%s:%s' not found in %s",
					     prov, name, path);
		/* libbpf looks for the maps usdt.bpf.h defines, and says ESRCH. */
		if (rc == -ESRCH)
			return pl_attach_err(err, errlen, rc,
					     "usdt %s:%s: the program must #include <bpf/usdt.bpf.h> "
					     "and use BPF_USDT()", prov, name);
		return pl_attach_err(err, errlen, rc, "usdt %s:%s in %s: attach failed: %s", prov,
				     name, path, strerror(-rc));
	}
	rc = pl_link__add_link(link, l);
	if (rc)
		return rc;
	if (opts->pid)
		pl_link__set_desc(link, "usdt %s:%s:%s (pid %d)", path, prov, name, opts->pid);
	else
		pl_link__set_desc(link, "usdt %s:%s:%s", path, prov, name);
	return 0;
}

static const char *const usdt_secs[] = { "usdt+", NULL };

const struct pl_attach_kind pl_attach_usdt = {
	.name = "usdt",
	.secs = usdt_secs,
	.attach = usdt_attach,
	.caps = PL_CAP(CAP_SYS_ADMIN),
	.caps_note = "USDT probes are uprobes, and the kernel's uprobe perf events check CAP_SYS_ADMIN, CAP_PERFMON is not enough",
};
