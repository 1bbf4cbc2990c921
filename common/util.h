/*
 * Small helpers shared by every program of the suite.
 */
#ifndef GK_UTIL_H
#define GK_UTIL_H

#include <sys/types.h>

#include <time.h>

int	set_nonblock(int fd);
/* A socket's receive buffer of bytes: SO_RCVBUFFORCE (past rmem_max,
 * with CAP_NET_ADMIN), else SO_RCVBUF. -1 with errno if neither took. */
int	set_rcvbuf(int fd, int bytes);
/* Creates dir (and no parents) with mode, owned by uid:gid; an existing
 * directory gets its owner and mode fixed. -1 with errno on failure. */
int	mkdir_owned(const char *dir, mode_t mode, uid_t uid, gid_t gid);
/* Seconds elapsed since *then on CLOCK_MONOTONIC. */
double	mono_since(const struct timespec *then);
void	mono_now(struct timespec *);

#endif
