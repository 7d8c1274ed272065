/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef __CPUFREQ_H
#define __CPUFREQ_H

#define MAX_CPU_NR	128
#define TASK_COMM_LEN	16
#define HIST_STEP_SIZE	200	/* MHz */
#define MAX_SLOTS	26

struct hkey {
	char comm[TASK_COMM_LEN];
};

struct hist {
	__u32 slots[MAX_SLOTS];
	char comm[TASK_COMM_LEN];
};

#endif /* __CPUFREQ_H */
