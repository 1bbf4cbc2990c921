/*
 * A process's proportional set size, for gkctl status (memstat.h): what
 * each daemon costs, its own pages whole and shared ones divided among
 * the processes that map them, so the figures of the suite add up. Pages
 * of a memory region nobody touched are not resident and not counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memstat.h"

/* The kB value of the line "key:   N kB" in text, or -1. */
static int64_t
field_kb(const char *text, size_t len, const char *key)
{
	size_t	 klen = strlen(key), i = 0;
	int64_t	 v;

	while (i < len) {
		if (len - i > klen && memcmp(text + i, key, klen) == 0 &&
		    text[i + klen] == ':') {
			i += klen + 1;
			while (i < len && text[i] == ' ')
				i++;
			if (i >= len || text[i] < '0' || text[i] > '9')
				return -1;
			for (v = 0; i < len && text[i] >= '0' &&
			    text[i] <= '9'; i++) {
				if (v > INT64_MAX / 10 - 9)
					return -1;
				v = v * 10 + (text[i] - '0');
			}
			return v;
		}
		/* the next line */
		while (i < len && text[i] != '\n')
			i++;
		i++;
	}
	return -1;
}

int
memstat_parse(const char *text, size_t len, struct memstat *m)
{
	int64_t	 pss, shmem;

	memset(m, 0, sizeof(*m));
	if ((pss = field_kb(text, len, "Pss")) < 0)
		return -1;
	m->pss_kb = (uint64_t)pss;
	if ((shmem = field_kb(text, len, "Pss_Shmem")) >= 0) {
		m->shmem_kb = (uint64_t)shmem;
		m->has_shmem = 1;
	}
	return 0;
}

int
memstat_read(pid_t pid, struct memstat *m)
{
	char	 path[64], buf[4096];
	ssize_t	 n;
	size_t	 len = 0;
	int	 fd, saved;

	snprintf(path, sizeof(path), "/proc/%ld/smaps_rollup", (long)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < sizeof(buf) &&
	    (n = read(fd, buf + len, sizeof(buf) - len)) > 0)
		len += (size_t)n;
	saved = errno;
	close(fd);
	if (len == 0) {
		errno = saved != 0 ? saved : ENODATA;
		return -1;
	}
	if (memstat_parse(buf, len, m) == -1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}
