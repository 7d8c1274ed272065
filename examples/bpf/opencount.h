/* opencount.h — shared by opencount.bpf.c and its user side. */
#ifndef __OPENCOUNT_H
#define __OPENCOUNT_H

#define COMM_LEN 16

struct comm_key {
	char comm[COMM_LEN];
};

#endif
