/* printk_tag.h — which bpf_printk lines are this process's.
 *
 * pktlua's <bpf/bpf_helpers.h> puts PL_PRINTK_TAG_HOLDER in front of every
 * bpf_printk format (runtime/compat/bpf/printk_tag.h); before load the
 * placeholder's zeros become this process's id in hex, in the object's
 * read-only data, so the compiled object (and its cache entry) stays the same
 * for every run. Lines relayed from the trace buffer are then told apart:
 * ours (tag removed), another process's (dropped), untagged (kept: a program
 * built with other headers, or calling bpf_trace_printk itself). */
#ifndef PKTLUA_PRINTK_TAG_H
#define PKTLUA_PRINTK_TAG_H

#include <stdbool.h>
#include <stddef.h>

struct bpf_object;

#define PL_PRINTK_TAG_HOLDER "{pktlua:00000000}"
#define PL_PRINTK_TAG_LEN 17   /* strlen(PL_PRINTK_TAG_HOLDER) */

/* Put PID into every tag placeholder in OBJ's read-only data (opened, not
 * loaded). Returns the number of tags filled. */
int pl_printk_tag__fill(struct bpf_object *obj, int pid);

/* Whether a program of OBJ (loaded: instructions final) calls
 * bpf_trace_printk or bpf_trace_vprintk. */
bool pl_printk__used(struct bpf_object *obj);

/* MSG (LEN bytes) is the text of one bpf_trace_printk line. Returns where
 * the message to show starts (after our tag), with *LEN adjusted, or NULL
 * when the line carries another process's tag. */
const char *pl_printk_tag__mine(const char *msg, size_t *len, int pid);

#endif
