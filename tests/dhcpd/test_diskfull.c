/*
 * dhcpd's writer on a full disk (docs/reliability.md, "Exhaustion"): the
 * lease database on a 2 MB tmpfs, in a mount namespace of this process's
 * own (never the host's mounts), filled up to ENOSPC. A batch that cannot
 * be written fails as a whole and says why (dhcpd then withholds its
 * ACKs: dropped.not_durable); the leases committed before stay, read back
 * by another connection as after a restart; once there is room again the
 * same writer commits. Needs root (mount); exits 77 without.
 */
#include <sys/mount.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "server.h"
#include "store.h"
#include "writer.h"

#define FIRST		100	/* leases committed before the disk fills */
#define BURST		3000	/* a burst of new ones: the WAL must grow */

struct seen {
	int	 n, first_ok;
};

static void
count_lease(const struct dhcp_lease *e, void *arg)
{
	struct seen	*s = arg;
	uint32_t	 i = ntohl(e->ip) - 0x0a2a0000;

	s->n++;
	/* the first ones, as committed: bound, their own expiry */
	if (i < FIRST && e->state == LEASE_BOUND &&
	    e->expires == 1000000 + (int64_t)i)
		s->first_ok++;
}

/* The leases as a restarted dhcpd finds them: another connection. */
static struct seen
on_disk(const char *db)
{
	struct dhcp_store *st;
	struct seen	 s = { 0, 0 };
	char		 err[256];

	if ((st = store_open(db, err, sizeof(err))) == NULL) {
		fprintf(stderr, "reopen: %s\n", err);
		s.n = -1;
		return s;
	}
	if (store_load_leases(st, count_lease, &s) != s.n)
		s.n = -1;
	store_close(st);
	return s;
}

/* Leases [from, from + n): 10.42.x.y, each its MAC and expiry. */
static void
add_leases(struct dhcp_writer *w, uint32_t from, uint32_t n)
{
	struct dhcp_lease e;
	uint32_t	 i;

	for (i = from; i < from + n; i++) {
		memset(&e, 0, sizeof(e));
		e.ip = htonl(0x0a2a0000 + i);
		e.state = LEASE_BOUND;
		e.mac[0] = 0x02;
		e.mac[4] = (uint8_t)(i >> 8);
		e.mac[5] = (uint8_t)i;
		memcpy(e.key, e.mac, 6);
		e.keylen = 6;
		snprintf(e.hostname, sizeof(e.hostname), "device-%u", i);
		e.expires = 1000000 + (int64_t)i;
		e.first_seen = e.last_seen = 999000;
		CHECK(writer_add(w, &e) == 0);
	}
}

/* The result of the batch just submitted: 1 committed, 0 failed. */
static int
commit_result(struct dhcp_writer *w, char *err, size_t len)
{
	uint64_t	 seq;
	int		 ok = -1;

	writer_submit(w);
	if (writer_result(w, 1, &seq, &ok, err, len) != 1)
		return -1;
	return ok;
}

/* Writes zeros to path until the file system is full; bytes written. */
static long
fill(const char *path)
{
	static char	 zero[4096];
	long		 total = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	while ((n = write(fd, zero, sizeof(zero))) > 0)
		total += n;
	if (n == -1 && errno != ENOSPC)
		total = -1;
	close(fd);
	return total;
}

int
main(void)
{
	char		 dir[] = "/tmp/test_diskfull.XXXXXX", db[64], filler[64];
	char		 err[256];
	struct dhcp_store *st;
	struct dhcp_writer *w;
	struct seen	 s;

	if (geteuid() != 0)
		SKIP("needs root to mount a tmpfs in a mount namespace");
	if (unshare(CLONE_NEWNS) == -1)
		SKIP("cannot make a mount namespace (unshare)");
	/* Nothing of this namespace's mounts goes back to the host's. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		SKIP("cannot make the mounts private");
	if (mkdtemp(dir) == NULL ||
	    mount("tmpfs", dir, "tmpfs", 0, "size=2m,mode=0700") == -1) {
		perror("tmpfs");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/leases.db", dir);
	snprintf(filler, sizeof(filler), "%s/filler", dir);

	CHECK((st = store_open(db, err, sizeof(err))) != NULL);
	CHECK(st != NULL && (w = writer_new(st, db, err, sizeof(err))) != NULL);
	if (check_failures)
		return check_result();
	add_leases(w, 0, FIRST);
	CHECK(commit_result(w, err, sizeof(err)) == 1);

	/* The disk fills up (logs, a capture): a burst cannot be written. */
	CHECK(fill(filler) > 0);
	add_leases(w, FIRST, BURST);
	CHECK(commit_result(w, err, sizeof(err)) == 0);
	CHECK(strstr(err, "full") != NULL);
	fprintf(stderr, "the burst's commit failed: %s\n", err);
	/* Nothing half-done, nothing lost: the first leases as they were. */
	CHECK(!store_in_txn(st));
	s = on_disk(db);
	CHECK(s.n == FIRST && s.first_ok == FIRST);
	/* Still full: the next one fails too, and the writer goes on. */
	add_leases(w, FIRST, BURST);
	CHECK(commit_result(w, err, sizeof(err)) == 0);

	/* Room again: the same writer commits; all of them on disk. */
	CHECK(unlink(filler) == 0);
	add_leases(w, FIRST, BURST);
	CHECK(commit_result(w, err, sizeof(err)) == 1);
	s = on_disk(db);
	CHECK(s.n == FIRST + BURST && s.first_ok == FIRST);

	writer_free(w);
	store_close(st);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
	return check_result();
}
