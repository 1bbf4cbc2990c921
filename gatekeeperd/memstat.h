/*
 * A process's memory for status (memstat.c): its proportional set size
 * from /proc/PID/smaps_rollup, the shared memory regions apart.
 */
#ifndef GK_MEMSTAT_H
#define GK_MEMSTAT_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct memstat {
	uint64_t	 pss_kb;	/* Pss: every page, shared ones divided */
	uint64_t	 shmem_kb;	/* Pss_Shmem: of them, the memfd regions */
	int		 has_shmem;	/* the kernel reports Pss_Shmem (5.9+) */
};

/* Parses smaps_rollup text; -1 when it has no Pss line. Pure. */
int	memstat_parse(const char *text, size_t len, struct memstat *);
/* Reads pid's smaps_rollup; -1 (errno set) when it cannot. */
int	memstat_read(pid_t pid, struct memstat *);

#endif
