/* interrupt.h — "the user asked to stop": set from a signal handler, read
 * by code that waits on a child process (the compiler, libpcap's compiler)
 * so a Ctrl-C does not wait for it to finish.
 *
 * Async-signal-safe to set; the Lua side (lua_state.c) owns the handler. */
#ifndef PKTLUA_INTERRUPT_H
#define PKTLUA_INTERRUPT_H

#include <stdbool.h>

void pl_interrupt_set(int sig);     /* from a signal handler */
void pl_interrupt_clear(void);
bool pl_interrupt_pending(void);

#endif
