/* child.h — one compile in a forked child that loads the clang shim
 * (libpktlua-cc.so, found as compiler.h's pl_compiler_set_shim_dir says).
 * compiler.c builds the input; this runs it where LLVM cannot hurt the host. */
#ifndef PKTLUA_CHILD_H
#define PKTLUA_CHILD_H

#include "compile/clang_shim.h"
#include "compile/compiler.h"

/* Work done alongside the child, both optional: PARENT_AFTER_FORK runs in
 * the parent right after fork(), while the child loads the shim;
 * CHILD_BEFORE_COMPILE in the child after the shim is loaded, just before it
 * compiles IN (it may still fill in IN's files). */
struct pl_cc_child_hooks {
	void (*parent_after_fork)(void);
	void (*child_before_compile)(void);
};

/* Compile IN in a child and fill RES (as pl_compile() does: obj, diag, deps).
 * FILENAME names the snippet in messages. Returns 0, -EINVAL when the source
 * does not compile, -ECHILD when the compiler crashed, hit a fatal error or
 * could not be loaded (RES->diag says which), another negative errno for
 * failures of the host (memfd, fork, memory). */
int pl_cc_run_child(const struct pl_cc_input *in, const char *filename,
		    const struct pl_cc_child_hooks *hooks, struct pl_compile_result *res);

#endif
