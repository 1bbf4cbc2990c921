/*
 * A hostile summary-ring reader: started by a wrapper in webd's place
 * with webd's descriptors (fd 7 the ring, fd 8 the tail), it takes
 * webd's uid and, for the given seconds, tries everything a compromised
 * webd could do to the ring: truncate it, grow it, write it, map it
 * writable, make a read-only mapping writable, re-open it for writing,
 * change its mode; and it scribbles over every byte of every region it
 * can write. It prints each attempt that succeeded; exit 0 means it ran.
 *
 *	ringattack user seconds
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "layout.h"

static int	 breaches;

static void
breach(const char *what)
{
	/* once each is enough to read */
	if (breaches++ < 32)
		printf("BREACH: %s\n", what);
	fflush(stdout);
}

static void
scribble(uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)random();
}

static void
attack_fd(int fd, const char *name, int writable)
{
	char		 path[64], what[128];
	struct stat	 st;
	uint8_t		 junk[256], *m;
	int		 rw;

	if (fstat(fd, &st) == -1)
		err(1, "fstat %s", name);
	scribble(junk, sizeof(junk));
	snprintf(what, sizeof(what), "ftruncate(%s, 0)", name);
	if (ftruncate(fd, 0) == 0)
		breach(what);
	snprintf(what, sizeof(what), "ftruncate(%s, half)", name);
	if (ftruncate(fd, st.st_size / 2) == 0)
		breach(what);
	snprintf(what, sizeof(what), "ftruncate(%s, grow)", name);
	if (ftruncate(fd, st.st_size + 4096) == 0)
		breach(what);
	snprintf(what, sizeof(what), "fallocate(%s, punch)", name);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
	    st.st_size) == 0 && !writable)
		breach(what);
	snprintf(what, sizeof(what), "fchmod(%s)", name);
	if (fchmod(fd, 0666) == 0)
		breach(what);
	if (writable)
		return;
	snprintf(what, sizeof(what), "pwrite(%s)", name);
	if (pwrite(fd, junk, sizeof(junk), 0) > 0)
		breach(what);
	snprintf(what, sizeof(what), "open(/proc/self/fd of %s, O_RDWR)", name);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((rw = open(path, O_RDWR)) != -1) {
		breach(what);
		close(rw);
	}
	snprintf(what, sizeof(what), "mmap(%s, PROT_WRITE): header scribbled",
	    name);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED) {
		breach(what);
		scribble(m, 4096);
		munmap(m, 4096);
	}
	snprintf(what, sizeof(what), "mprotect(%s, PROT_WRITE)", name);
	m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	if (m != MAP_FAILED) {
		if (mprotect(m, 4096, PROT_READ | PROT_WRITE) == 0) {
			breach(what);
			scribble(m, 4096);
		}
		munmap(m, 4096);
	}
}

int
main(int argc, char *argv[])
{
	struct passwd	*pw;
	struct timespec	 now, end;
	struct stat	 st;
	uint8_t		*tail;
	long		 rounds = 0;

	if (argc != 3)
		errx(2, "usage: ringattack user seconds");
	if ((pw = getpwnam(argv[1])) == NULL)
		errx(1, "no user %s", argv[1]);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		err(1, "becoming %s", argv[1]);
	/* The tail is ours to write: scribble it all, all the time. (A
	 * suite from before the tail had none: the ring is attacked alone.) */
	tail = NULL;
	if (fstat(FD_WEBD_RING_TAIL, &st) == 0 && S_ISREG(st.st_mode)) {
		tail = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE,
		    MAP_SHARED, FD_WEBD_RING_TAIL, 0);
		if (tail == MAP_FAILED)
			err(1, "mmap tail");
	}
	srandom((unsigned)getpid());
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += atoi(argv[2]);
	do {
		attack_fd(FD_WEBD_RING, "ring", 0);
		if (tail != NULL) {
			attack_fd(FD_WEBD_RING_TAIL, "tail", 1);
			scribble(tail, (size_t)st.st_size);
		}
		rounds++;
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
	    (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	printf("rounds %ld breaches %d\n", rounds, breaches);
	return 0;
}
