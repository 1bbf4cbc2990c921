/*
 * The fd store's pure parts (gatekeeperd/fdstore.c): what sd_listen_fds(3)
 * says a start was handed, and the check a region handed back must pass
 * before gatekeeperd gives it to a child: a region as socks.c makes it
 * passes; one unsealed, sealed against writes, of another size or name,
 * open read-only, of another mode or owner, or no memfd at all is refused
 * with a reason.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fdstore.h"

#define SIZE	(1 << 20)

/* A region as gatekeeperd/socks.c open_memfd() makes it. */
static int
region(const char *name, size_t size, int seals, mode_t mode)
{
	int	 fd;

	if ((fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1)
		return -1;
	if (ftruncate(fd, (off_t)size) == -1 || fchmod(fd, mode) == -1 ||
	    (seals != 0 && fcntl(fd, F_ADD_SEALS, seals) == -1)) {
		close(fd);
		return -1;
	}
	return fd;
}

static const char *
refused(int fd, const char *name, size_t size)
{
	static char	 why[160];

	why[0] = '\0';
	if (fd == -1)
		return "(no fd)";
	if (fdstore_check(fd, name, size, why, sizeof(why)) == 0)
		return NULL;
	close(fd);
	return why;
}

static void
test_parse(void)
{
	struct fdstore_in in[4];
	char		 why[128], pid[16], longname[100];
	int		 total;

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	CHECK(fdstore_parse(NULL, NULL, NULL, getpid(), in, 4, &total, why,
	    sizeof(why)) == 0);
	/* Another process's descriptors are not ours to take. */
	CHECK(fdstore_parse("1", "2", "a:b", getpid(), in, 4, &total, why,
	    sizeof(why)) == 0);
	CHECK(fdstore_parse(pid, "x2", NULL, getpid(), in, 4, &total, why,
	    sizeof(why)) == -1);
	CHECK(strstr(why, "LISTEN_FDS") != NULL);
	CHECK(fdstore_parse(pid, "-1", NULL, getpid(), in, 4, &total, why,
	    sizeof(why)) == -1);
	CHECK(fdstore_parse(pid, "2000000000", NULL, getpid(), in, 4, &total,
	    why, sizeof(why)) == -1);
	CHECK(fdstore_parse(pid, "2", "gk-nat-state:gk-history", getpid(),
	    in, 4, &total, why, sizeof(why)) == 2);
	CHECK(total == 2 && in[0].fd == 3 && in[1].fd == 4);
	CHECK_STR(in[0].name, "gk-nat-state");
	CHECK_STR(in[1].name, "gk-history");
	/* Fewer names than descriptors; a name too long is nobody's. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK(fdstore_parse(pid, "3", longname, getpid(), in, 4, &total, why,
	    sizeof(why)) == 3);
	CHECK_STR(in[0].name, "");
	CHECK_STR(in[1].name, "");
	CHECK(in[2].fd == 5);
	/* More than we hold: the count says how many to close. */
	CHECK(fdstore_parse(pid, "6", "a:b:c:d:e:f", getpid(), in, 4, &total,
	    why, sizeof(why)) == 4);
	CHECK(total == 6);
	CHECK_STR(in[3].name, "d");
}

static void
test_check(void)
{
	const int	 ours = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	const char	*why;
	char		 path[64];
	int		 fd, ro, p[2];

	fd = region("gk-nat-state", SIZE, ours, 0600);
	CHECK((why = refused(fd, "gk-nat-state", SIZE)) == NULL);
	/* Of the right name only. */
	CHECK((why = refused(fd, "gk-history", SIZE)) != NULL &&
	    strstr(why, "not the memfd gk-history") != NULL);

	why = refused(region("gk-nat-state", SIZE, ours, 0600),
	    "gk-nat-state", SIZE * 2);
	CHECK(why != NULL && strstr(why, "bytes") != NULL);
	why = refused(region("gk-nat-state", SIZE, 0, 0600), "gk-nat-state",
	    SIZE);
	CHECK(why != NULL && strstr(why, "seals") != NULL);
	why = refused(region("gk-nat-state", SIZE, F_SEAL_SHRINK |
	    F_SEAL_GROW, 0600), "gk-nat-state", SIZE);
	CHECK(why != NULL && strstr(why, "seals") != NULL);
	why = refused(region("gk-nat-state", SIZE, ours | F_SEAL_WRITE, 0600),
	    "gk-nat-state", SIZE);
	CHECK(why != NULL && strstr(why, "seals") != NULL);
	why = refused(region("gk-nat-state", SIZE, ours, 0644),
	    "gk-nat-state", SIZE);
	CHECK(why != NULL && strstr(why, "mode") != NULL);

	/* Read-only: the children's writable mappings would fail. */
	fd = region("gk-nat-state", SIZE, ours, 0600);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	close(fd);
	why = refused(ro, "gk-nat-state", SIZE);
	CHECK(why != NULL && strstr(why, "read-write") != NULL);

	/* No memfd at all. */
	CHECK(pipe(p) == 0);
	why = refused(p[0], "gk-nat-state", SIZE);
	CHECK(why != NULL && strstr(why, "not the memfd") != NULL);
	close(p[1]);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	why = refused(fd, "gk-nat-state", SIZE);
	CHECK(why != NULL && strstr(why, "not the memfd") != NULL);

	/* Another owner's (root can make one). */
	if (geteuid() == 0) {
		fd = region("gk-nat-state", SIZE, ours, 0600);
		CHECK(fd != -1 && fchown(fd, 65534, 65534) == 0);
		why = refused(fd, "gk-nat-state", SIZE);
		CHECK(why != NULL && strstr(why, "owner") != NULL);
	}
}

int
main(void)
{
	test_parse();
	test_check();
	return check_result();
}
