/* interrupt.c — the interrupt flag (interrupt.h). */
#include "base/interrupt.h"

#include <signal.h>

static volatile sig_atomic_t pending;

void pl_interrupt_set(int sig)
{
	pending = sig;
}

void pl_interrupt_clear(void)
{
	pending = 0;
}

bool pl_interrupt_pending(void)
{
	return pending != 0;
}
