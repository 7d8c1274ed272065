/* trace_relay.h — bpf_printk lines of this process's programs, read from a
 * tracefs instance of its own.
 *
 * bpf_printk writes to the kernel's trace buffers through the
 * bpf_trace/bpf_trace_printk event. Reading the shared trace_pipe would
 * consume lines other readers wait for (and lose ours to them), so the relay
 * makes an instance, instances/pktlua_<pid>, enables that event in it alone
 * and reads the instance's own trace_pipe: every printk line reaches it,
 * whoever else reads. Lines tagged by another process (printk_tag.h) are
 * dropped; the rest are handed over without their tag, one by one.
 * Instances left by pktlua processes that died (SIGKILL) are removed when the
 * next relay starts. Plain C. */
#ifndef PKTLUA_TRACE_RELAY_H
#define PKTLUA_TRACE_RELAY_H

#include <stddef.h>

struct pl_trace_relay;

/* One line's message, without the trailing newline (valid during the call). */
typedef void (*pl_trace_line_fn)(void *ctx, const char *msg, size_t len);

/* Mount tracefs if needed and start the instance. Returns the relay, or NULL
 * with errno set and ERR saying what failed. */
struct pl_trace_relay *pl_trace_relay__new(pl_trace_line_fn fn, void *ctx,
					   char *err, size_t errlen);
/* Hand over every complete line readable now. Returns lines read or -errno. */
int pl_trace_relay__read(struct pl_trace_relay *r);
/* Read what is left, stop the event, remove the instance, free R. */
void pl_trace_relay__free(struct pl_trace_relay *r);

#endif
