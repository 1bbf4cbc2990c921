/*
 * The fd store's pure parts (fdstore.h): what a start was handed, and
 * whether a handed region may be used. A descriptor that comes back from
 * the service manager is untrusted until checked: anything that could send
 * on the notification socket as us could have stored it, and a region that
 * is not sealed or not ours could be resized or rewritten under the
 * children (docs/security.md, docs/reliability.md).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdstore.h"

#define SEALS_WANTED	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* A decimal number without sign, spaces or trailing text, at most max. */
static int
parse_count(const char *s, long max, long *v)
{
	char	*end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' || *v > max ? -1 : 0;
}

int
fdstore_parse(const char *listen_pid, const char *listen_fds,
    const char *names, pid_t self, struct fdstore_in *out, int max,
    int *total, char *why, size_t whylen)
{
	const char	*p = names, *colon;
	long		 pid, n;
	size_t		 len;
	int		 i;

	*total = 0;
	if (listen_pid == NULL || listen_fds == NULL)
		return 0;
	if (parse_count(listen_pid, INT_MAX, &pid) == -1 || pid != self)
		return 0;	/* meant for another process (sd_listen_fds) */
	/* A bound, so the caller's closing of those past max ends soon. */
	if (parse_count(listen_fds, FDSTORE_MAX_TOTAL, &n) == -1) {
		snprintf(why, whylen, "LISTEN_FDS=%s is not a count up to %d",
		    listen_fds, FDSTORE_MAX_TOTAL);
		return -1;
	}
	*total = (int)n;
	for (i = 0; i < n && i < max; i++) {
		out[i].fd = FDSTORE_FIRST + i;
		out[i].name[0] = '\0';
		if (p == NULL)
			continue;
		colon = strchr(p, ':');
		len = colon != NULL ? (size_t)(colon - p) : strlen(p);
		if (len < sizeof(out[i].name)) {
			memcpy(out[i].name, p, len);
			out[i].name[len] = '\0';
		}
		p = colon != NULL ? colon + 1 : NULL;
	}
	return i;
}

/* The kernel's name of a memfd: "/memfd:NAME (deleted)" in /proc. */
static int
memfd_named(int fd, const char *name)
{
	char	 path[64], link[FDSTORE_NAME_MAX + 32], want[sizeof(link)];
	ssize_t	 len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((len = readlink(path, link, sizeof(link) - 1)) == -1)
		return 0;
	link[len] = '\0';
	snprintf(want, sizeof(want), "/memfd:%s (deleted)", name);
	return strcmp(link, want) == 0;
}

int
fdstore_check(int fd, const char *name, size_t size, char *why,
    size_t whylen)
{
	struct stat	 st;
	int		 seals, fl;

	if (fstat(fd, &st) == -1) {
		snprintf(why, whylen, "fstat: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode) || !memfd_named(fd, name)) {
		snprintf(why, whylen, "not the memfd %s", name);
		return -1;
	}
	if ((size_t)st.st_size != size) {
		snprintf(why, whylen, "%lld bytes, %zu expected (the "
		    "configuration changed?)", (long long)st.st_size, size);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 07777) != 0600) {
		snprintf(why, whylen, "owner %u mode %04o, expected %u 0600",
		    (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777),
		    (unsigned)geteuid());
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 || (fl & O_ACCMODE) != O_RDWR) {
		snprintf(why, whylen, "not open read-write");
		return -1;
	}
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1 || seals != SEALS_WANTED) {
		snprintf(why, whylen, "seals %#x, expected %#x (shrink, grow, "
		    "seal)", seals == -1 ? 0 : (unsigned)seals,
		    (unsigned)SEALS_WANTED);
		return -1;
	}
	return 0;
}
