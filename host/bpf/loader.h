/* loader.h — ELF object in memory → loaded bpf_object, with errors that
 * name lines of the user's script.
 *
 * The verifier log is captured per program; on rejection the one-line reason
 * and the script line of the failing instruction (from BTF line info, which
 * the compiler pointed at the Lua script with #line) make the message, and
 * the whole log is printed at -v (PL_LOG_INFO). */
#ifndef PKTLUA_LOADER_H
#define PKTLUA_LOADER_H

#include <stddef.h>

struct bpf_object;

struct pl_load_opts {
	const char *name;         /* object name for messages; default "snippet" */
	const char *source_file;  /* the script the snippet came from, as the user
				   * named it: the verifier prints only the base
				   * name of a BTF line-info file, this puts the
				   * path back; may be NULL */
};

/* Open and load OBJ (LEN bytes; not kept). Returns 0 and *out, or a negative
 * errno with *errmsg (malloc'd, one line, caller frees) saying what failed,
 * e.g. "x.lua:14: program 'count' rejected by the verifier: R1 invalid mem
 * access 'scalar'". */
int pl_object_load(const void *obj, size_t len, const struct pl_load_opts *opts,
		   struct bpf_object **out, char **errmsg);

/* The same in two steps, for callers that change the object in between
 * (global variables, map sizes): open OBJ (LEN bytes; not kept) into *out,
 * then load it. pl_object_load_opened does not close BOBJ on failure (the
 * caller owns it either way); after a successful load the object's global
 * variables are the live ones (globals.h). Errors as pl_object_load. */
int pl_object_open(const void *obj, size_t len, const struct pl_load_opts *opts,
		   struct bpf_object **out, char **errmsg);
int pl_object_load_opened(struct bpf_object *bobj, const struct pl_load_opts *opts,
			  char **errmsg);

/* Exposed for unit tests: from a verifier log, the reason (the lines after
 * the last instruction, joined by "; ") and the "file:line" of the last
 * source annotation before it. Both are empty strings when absent. */
void pl_verifier_log_summary(const char *log, char *reason, size_t reason_len,
			     char *where, size_t where_len);

#endif
