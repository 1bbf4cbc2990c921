/*
 * The service manager's file descriptor store, the parts without I/O on
 * its socket (notify.c sends): what a start was handed (sd_listen_fds(3):
 * LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES, descriptors from 3 on) and the
 * check a region handed back must pass before anything maps it.
 */
#ifndef GK_FDSTORE_H
#define GK_FDSTORE_H

#include <sys/types.h>

#include <stddef.h>

#define FDSTORE_FIRST		3	/* SD_LISTEN_FDS_START */
#define FDSTORE_MAX_IN		64	/* more than that are closed */
#define FDSTORE_MAX_TOTAL	65536	/* a LISTEN_FDS above is refused */
#define FDSTORE_NAME_MAX	64	/* longer names are nobody's */

struct fdstore_in {
	char	 name[FDSTORE_NAME_MAX];	/* "" when unnamed or too long */
	int	 fd;
};

/*
 * Parses the environment of a start: 0 when it passes nothing to pid self
 * (no LISTEN_PID, or another process's), else the number of descriptors
 * (FDSTORE_FIRST, FDSTORE_FIRST + 1, ...) with their names in out[] (at
 * most max of them; *total gets LISTEN_FDS itself); -1 with why for a
 * LISTEN_FDS that is no count.
 */
int	 fdstore_parse(const char *listen_pid, const char *listen_fds,
	    const char *names, pid_t self, struct fdstore_in *out, int max,
	    int *total, char *why, size_t whylen);

/*
 * 0 when fd is a region as socks.c makes them: a memfd called name (the
 * kernel's name for it, not the store's), a regular file of exactly size
 * bytes, ours (owner our euid, mode 0600), open read-write, sealed against
 * shrinking, growing and further seals and against nothing else (a write
 * seal would break the children's writable mappings). Else -1 with why.
 * What is inside is the business of the daemon that maps it, which checks
 * its own header and every entry as it would after its own restart.
 */
int	 fdstore_check(int fd, const char *name, size_t size, char *why,
	    size_t whylen);

#endif
