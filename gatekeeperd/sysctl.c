/*
 * Kernel settings under /proc/sys. The first value seen for each key is
 * saved so that exit restores what the admin had, not our own later
 * writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "netcfg.h"

/* "net.ipv4.ip_forward" or "net/ipv4/ip_forward" -> /proc/sys/... */
static int
sysctl_path(const char *key, char *path, size_t len)
{
	char	*p;
	int	 n;

	/* Keys come from our own code, but never leave /proc/sys. */
	if (strstr(key, "..") != NULL || key[0] == '/') {
		errno = EINVAL;
		return -1;
	}
	n = snprintf(path, len, "/proc/sys/%s", key);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Slashed keys may hold dots (eth0.100); only dotted ones map. */
	if (strchr(key, '/') == NULL)
		for (p = path + strlen("/proc/sys/"); *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
	return 0;
}

static int
sysctl_read(const char *path, char *buf, size_t len)
{
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, len);
	close(fd);
	if (n == -1)
		return -1;
	/* A value that fills the buffer may be cut: cannot restore it. */
	if ((size_t)n >= len) {
		errno = EOVERFLOW;
		return -1;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int
sysctl_write(const char *path, const char *value)
{
	char	 buf[64];
	ssize_t	 n;
	int	 fd, len;

	len = snprintf(buf, sizeof(buf), "%s\n", value);
	if (len < 0 || (size_t)len >= sizeof(buf)) {
		errno = EINVAL;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
		return -1;
	n = write(fd, buf, len);
	if (close(fd) == -1 && n != -1)
		n = -1;
	if (n != len) {
		if (n >= 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

static int
sysctl_find(const struct sysctl_saved *s, const char *path)
{
	int	 i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->path[i], path) == 0)
			return i;
	return -1;
}

int
sysctl_set(struct sysctl_saved *s, const char *key, const char *value)
{
	char	 path[sizeof(s->path[0])], old[sizeof(s->value[0])];

	if (sysctl_path(key, path, sizeof(path)) == -1) {
		log_warn("sysctl %s", key);
		return -1;
	}
	if (sysctl_read(path, old, sizeof(old)) == -1) {
		log_warn("sysctl %s: reading %s", key, path);
		return -1;
	}
	/* Nothing changes, so there is nothing to restore. */
	if (strcmp(old, value) == 0)
		return 0;
	if (sysctl_find(s, path) == -1 && s->n == SYSCTL_MAX_SAVED) {
		log_warnx("sysctl %s: more than %d settings to restore", key,
		    SYSCTL_MAX_SAVED);
		return -1;
	}
	if (sysctl_write(path, value) == -1) {
		log_warn("sysctl %s: writing %s", key, value);
		return -1;
	}
	if (sysctl_find(s, path) == -1) {
		strlcpy(s->path[s->n], path, sizeof(s->path[0]));
		strlcpy(s->value[s->n], old, sizeof(s->value[0]));
		s->n++;
	}
	log_debug("sysctl %s: %s -> %s", key, old, value);
	return 0;
}

void
sysctl_restore(struct sysctl_saved *s)
{
	/* Reverse order: later settings may depend on earlier ones. */
	while (s->n > 0) {
		s->n--;
		if (sysctl_write(s->path[s->n], s->value[s->n]) == -1)
			log_warn("restoring %s to %s", s->path[s->n],
			    s->value[s->n]);
		else
			log_debug("restored %s to %s", s->path[s->n],
			    s->value[s->n]);
	}
}
