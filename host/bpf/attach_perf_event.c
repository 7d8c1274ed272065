/* attach_perf_event.c — perf_event programs: sampling on a software or
 * hardware event, one perf event per CPU (or one following a pid).
 *
 * Each perf event fd goes into a libbpf link that owns it, so closing the
 * link disables and closes the event too. */
#include "bpf/attach_kind.h"
#include "bpf/caps.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DEFAULT_FREQ 99

static const struct {
	const char *name;
	__u32 type;
	__u64 config;
} events[] = {
	{ "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	{ "major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	{ "context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "bus-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
	{ "ref-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
};

const char *pl_perf_event__at(size_t i, uint32_t *type, uint64_t *config)
{
	if (i >= sizeof(events) / sizeof(events[0]))
		return NULL;
	*type = events[i].type;
	*config = events[i].config;
	return events[i].name;
}

static int perf_event_open(struct perf_event_attr *attr, int pid, int cpu)
{
	return (int)syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
}

static int explain(const char *event, const struct pl_attach_opts *opts, int rc, char *err,
		   size_t errlen)
{
	switch (rc) {
	case -ENOENT:
	case -EOPNOTSUPP:
		return pl_attach_err(err, errlen, rc,
				     "perf_event: event '%s' is not supported on this machine%s",
				     event, strcmp(event, "cpu-clock") ?
				     " (no hardware counters? \"cpu-clock\" works everywhere)" : "");
	case -ESRCH:
		return pl_attach_err(err, errlen, rc, "perf_event: no process with pid %d",
				     opts->pid);
	case -EINVAL:
		if (!opts->period)
			return pl_attach_err(err, errlen, rc,
					     "perf_event '%s': frequency %llu rejected (above "
					     "/proc/sys/kernel/perf_event_max_sample_rate?)", event,
					     (unsigned long long)(opts->freq ?: DEFAULT_FREQ));
		break;
	}
	return pl_attach_err(err, errlen, rc, "perf_event '%s': %s", event, strerror(-rc));
}

static int perf_attach(struct bpf_program *prog, const struct pl_attach_opts *opts,
		       struct pl_link *link, char *err, size_t errlen)
{
	const char *event = opts->event ?: "cpu-clock";
	struct perf_event_attr attr = { .size = sizeof(attr) };
	size_t i;
	int rc, n = 0;

	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!strcmp(events[i].name, event))
			break;
	if (i == sizeof(events) / sizeof(events[0]))
		return pl_attach_err(err, errlen, -EINVAL,
				     "perf_event: unknown event '%s' (known: cpu-clock, task-clock, "
				     "page-faults, minor-faults, major-faults, context-switches, "
				     "cpu-migrations, cpu-cycles, instructions, cache-references, "
				     "cache-misses, branch-instructions, branch-misses, bus-cycles, "
				     "ref-cycles)", event);
	attr.type = events[i].type;
	attr.config = events[i].config;
	if (opts->period) {
		attr.sample_period = opts->period;
	} else {
		attr.freq = 1;
		attr.sample_freq = opts->freq ?: DEFAULT_FREQ;
	}

	/* A pid: one event that follows it from CPU to CPU. Otherwise one event
	 * per CPU, every process. */
	int nr_cpus = opts->pid ? 1 : libbpf_num_possible_cpus();
	if (nr_cpus < 0)
		return pl_attach_err(err, errlen, nr_cpus, "perf_event: cannot count CPUs: %s",
				     strerror(-nr_cpus));
	for (int cpu = 0; cpu < nr_cpus; cpu++) {
		int pfd = opts->pid ? perf_event_open(&attr, opts->pid, -1)
				    : perf_event_open(&attr, -1, cpu);
		if (pfd < 0) {
			rc = -errno;
			/* Possible but offline CPUs have nothing to sample. */
			if (rc == -ENODEV && !opts->pid)
				continue;
			return explain(event, opts, rc, err, errlen);
		}
		struct bpf_link *l = bpf_program__attach_perf_event(prog, pfd);
		if (!l) {
			rc = pl_errno(-errno);
			close(pfd); /* the link takes the fd only on success */
			return pl_attach_err(err, errlen, rc, "perf_event '%s': attach on CPU %d: %s",
					     event, cpu, strerror(-rc));
		}
		rc = pl_link__add_link(link, l);
		if (rc)
			return rc;
		n++;
	}
	if (!n)
		return pl_attach_err(err, errlen, -ENODEV, "perf_event '%s': no CPU is online", event);

	char rate[64], who[64];
	if (opts->period)
		snprintf(rate, sizeof(rate), "every %llu events", (unsigned long long)opts->period);
	else
		snprintf(rate, sizeof(rate), "at %llu Hz", (unsigned long long)attr.sample_freq);
	if (opts->pid)
		snprintf(who, sizeof(who), "pid %d", opts->pid);
	else
		snprintf(who, sizeof(who), "%d CPU%s", n, n == 1 ? "" : "s");
	pl_link__set_desc(link, "perf_event %s %s on %s", event, rate, who);
	return 0;
}

static const char *const perf_event_secs[] = { "perf_event", NULL };

const struct pl_attach_kind pl_attach_perf_event = {
	.name = "perf_event",
	.secs = perf_event_secs,
	.attach = perf_attach,
	.caps = PL_CAP(CAP_PERFMON),
};
