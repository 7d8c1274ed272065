/* perf_release.h — the kernel's slow release of perf events, off the exit.
 *
 * Why: the last close of a tracepoint's or uprobe's perf event unregisters
 * the kernel's probe and waits for RCU grace periods
 * (tracepoint_synchronize_unregister): 50–60 ms here, after the BPF program
 * was already taken off the event by the link's release. At exit that wait
 * is all that is left, and nothing of the script needs it: bpftrace and a
 * plain libbpf program sit through it before they exit.
 *
 * pl_perf_release_defer() forks a helper that keeps a duplicate of every
 * perf-event fd of the process and nothing else (no program, map or link
 * fd, no stdio, no map mapping), and returns once the helper holds only
 * those. The caller then destroys its links as usual: each link's release
 * detaches its program from its event (the kernel waits for the program's
 * readers, ~25 ms) and the program is unloaded when its fds close, but the
 * emptied, disabled event itself lives on in the helper, which closes it
 * once the caller has exited (EOF on a pipe the caller holds), then exits.
 * When pktlua's exit status is seen, none of its programs is attached or
 * loaded; a helper may still be releasing empty perf events for ~50 ms
 * (a new attach to the same tracepoint waits for it in the kernel).
 *
 * Call it once, right before the final teardown, from a single-threaded
 * process. Returns 1 if a helper now holds the events (its pid in *HELPER,
 * if HELPER is not NULL), 0 if there were none
 * or PKTLUA_SYNC_DETACH=1 is set (the old, synchronous teardown, for
 * measurements), or a negative errno (nothing changed: the teardown then
 * pays the wait itself). Plain C, no Lua. */
#ifndef PKTLUA_PERF_RELEASE_H
#define PKTLUA_PERF_RELEASE_H

#define PL_SYNC_DETACH_ENV "PKTLUA_SYNC_DETACH"

#include <sys/types.h>

int pl_perf_release_defer(pid_t *helper);

#endif
