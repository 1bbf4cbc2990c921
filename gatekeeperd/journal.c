/*
 * What gatekeeperd changed, written down as it goes, so that after a crash
 * (kill -9, power loss of a RAM run dir excepted) the next start first
 * undoes exactly those changes and then sets up afresh. Without it, a
 * restarted gatekeeperd would find its own bridge and rules in the way.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gatekeeperd.h"
#include "log.h"

#define JOURNAL_MAGIC	0x676b6a31	/* "gkj1" */

struct journal {
	uint32_t	 magic;
	uint32_t	 size;
	struct lan_state lan;
	struct rules_state rules;
	struct sysctl_saved sysctls;
};

static void
journal_path(char *buf, size_t size)
{
	snprintf(buf, size, "%s/gatekeeperd.state", gk->conf.run_dir);
}

/* Written to a temporary file and renamed: never half a journal. */
void
journal_save(void)
{
	struct journal	 j;
	char		 path[CONF_MAX_PATH + 32], tmp[CONF_MAX_PATH + 40];
	int		 fd;

	memset(&j, 0, sizeof(j));
	j.magic = JOURNAL_MAGIC;
	j.size = sizeof(j);
	j.lan = gk->lan;
	j.rules = gk->rules;
	j.sysctls = gk->sysctls;
	journal_path(path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || write(fd, &j, sizeof(j)) != (ssize_t)sizeof(j) ||
	    fsync(fd) == -1 || rename(tmp, path) == -1)
		log_warn("journal %s", path);
	if (fd != -1)
		close(fd);
}

void
journal_remove(void)
{
	char	 path[CONF_MAX_PATH + 32];

	journal_path(path, sizeof(path));
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("journal %s", path);
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int
journal_valid(const struct journal *j)
{
	int	 i;

	if (j->magic != JOURNAL_MAGIC || j->size != sizeof(*j))
		return 0;
	if (!terminated(j->lan.ifname, sizeof(j->lan.ifname)) ||
	    j->lan.nports < 0 || j->lan.nports > CONF_MAX_LAN ||
	    !terminated(j->rules.lan, sizeof(j->rules.lan)) ||
	    !terminated(j->rules.wan, sizeof(j->rules.wan)) ||
	    j->sysctls.n < 0 || j->sysctls.n > SYSCTL_MAX_SAVED)
		return 0;
	for (i = 0; i < j->lan.nports; i++)
		if (!terminated(j->lan.port[i], sizeof(j->lan.port[i])))
			return 0;
	for (i = 0; i < j->sysctls.n; i++)
		if (!terminated(j->sysctls.path[i], sizeof(j->sysctls.path[i])) ||
		    !terminated(j->sysctls.value[i],
		    sizeof(j->sysctls.value[i])))
			return 0;
	return 1;
}

/*
 * Called with the pid file locked, so whoever wrote the journal is gone.
 * Undoes in the same order as a clean stop: forwarding off first.
 */
void
journal_recover(void)
{
	struct journal	 j;
	char		 path[CONF_MAX_PATH + 32];
	ssize_t		 n;
	int		 fd;

	journal_path(path, sizeof(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno != ENOENT)
			log_warn("journal %s", path);
		return;
	}
	n = read(fd, &j, sizeof(j));
	close(fd);
	if (n != (ssize_t)sizeof(j) || !journal_valid(&j)) {
		log_warnx("journal %s unreadable or from another version; "
		    "not recovering from it", path);
		journal_remove();
		return;
	}
	log_warnx("the last run did not stop cleanly: undoing its changes");
	sysctl_restore(&j.sysctls);
	rules_remove(&j.rules);
	lan_teardown(&j.lan);
	journal_remove();
}
