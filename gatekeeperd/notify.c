/*
 * systemd's notification protocol (sd_notify(3)), spoken directly rather
 * than through libsystemd: one datagram of KEY=value lines to
 * $NOTIFY_SOCKET. gatekeeper.service is Type=notify: READY=1 once the
 * network is set up and the children socket is open (so the children's
 * units, ordered after ours, find it), STOPPING=1 when we start undoing,
 * and WATCHDOG=1 every half WatchdogSec= from the event loop, so a loop
 * that hangs stops the pings and systemd restarts us. Without
 * $NOTIFY_SOCKET (no systemd, or a plain start) each call does nothing.
 *
 * Also the file descriptor store (FileDescriptorStoreMax= in the unit):
 * the regions whose contents must outlive us (the NAT tables, the
 * traffic history) are sent to systemd as they are made, FDSTORE=1 with
 * FDNAME= their memfd's name, and a start after our death (kill -9, a
 * crash, the watchdog) is handed them back (LISTEN_FDS, LISTEN_FDNAMES);
 * socks.c takes each one that passes fdstore_check() instead of making
 * it anew, so natd finds its mappings and webd its history.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "fdstore.h"
#include "gatekeeperd.h"
#include "log.h"

static int		 notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t	 notify_len;
static uint64_t		 watchdog_usec;
static struct event	*ev_watchdog;
static struct fdstore_in kept[FDSTORE_MAX_IN];	/* fd -1: taken or closed */
static int		 nkept;

/* WATCHDOG_USEC, when it is meant for this process (WATCHDOG_PID). */
static uint64_t
watchdog_from_env(void)
{
	const char	*usec = getenv("WATCHDOG_USEC");
	const char	*pid = getenv("WATCHDOG_PID");
	char		*end;
	unsigned long long v;

	if (usec == NULL)
		return 0;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return 0;
	errno = 0;
	v = strtoull(usec, &end, 10);
	if (errno != 0 || *end != '\0' || v == 0) {
		log_warnx("WATCHDOG_USEC=%s is not a number of microseconds",
		    usec);
		return 0;
	}
	return v;
}

/*
 * What the fd store handed this start (sd_listen_fds(3)), kept aside
 * close-on-exec until socks.c claims it; read before daemon() forks, while
 * LISTEN_PID is still our pid. More than we can hold are closed.
 */
static void
kept_from_env(void)
{
	char	 why[128];
	int	 total, i;

	nkept = fdstore_parse(getenv("LISTEN_PID"), getenv("LISTEN_FDS"),
	    getenv("LISTEN_FDNAMES"), getpid(), kept, FDSTORE_MAX_IN, &total,
	    why, sizeof(why));
	if (nkept == -1) {
		log_warnx("fd store: %s; nothing is kept", why);
		nkept = 0;
	}
	for (i = 0; i < nkept; i++)
		if (fcntl(kept[i].fd, F_SETFD, FD_CLOEXEC) == -1)
			kept[i].fd = -1;	/* not open after all */
	for (i = nkept; i < total; i++)
		close(FDSTORE_FIRST + i);
	if (nkept > 0)
		log_info("fd store: %d descriptor(s) handed back", nkept);
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
}

/* Reads and unsets the environment systemd gave us (children forked in
 * the default mode must not talk to systemd as us). */
void
notify_init(void)
{
	const char	*path = getenv("NOTIFY_SOCKET");
	size_t		 len;

	watchdog_usec = watchdog_from_env();
	if (path != NULL && (path[0] == '/' || path[0] == '@') &&
	    (len = strlen(path)) < sizeof(notify_addr.sun_path)) {
		memset(&notify_addr, 0, sizeof(notify_addr));
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, path, len);
		if (path[0] == '@')	/* the abstract namespace */
			notify_addr.sun_path[0] = '\0';
		notify_len = (socklen_t)(offsetof(struct sockaddr_un,
		    sun_path) + len);
		notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (notify_fd == -1)
			log_warn("NOTIFY_SOCKET: socket");
	} else if (path != NULL)
		log_warnx("NOTIFY_SOCKET=%s: not a socket path", path);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	kept_from_env();
}

void
notify_send(const char *state)
{
	if (notify_fd == -1)
		return;
	if (sendto(notify_fd, state, strlen(state), MSG_NOSIGNAL,
	    (struct sockaddr *)&notify_addr, notify_len) == -1)
		log_warn("NOTIFY_SOCKET: %s", state);
}

static void
watchdog_ping(evutil_socket_t fd, short ev, void *arg)
{
	notify_send("WATCHDOG=1");
}

/* READY=1 with a status line, and the watchdog's pings from now on. */
void
notify_ready(const char *status)
{
	char		 buf[256];
	struct timeval	 tv;

	snprintf(buf, sizeof(buf), "READY=1\nSTATUS=%s", status);
	notify_send(buf);
	if (notify_fd == -1 || watchdog_usec == 0)
		return;
	tv.tv_sec = (time_t)(watchdog_usec / 2 / 1000000);
	tv.tv_usec = (suseconds_t)(watchdog_usec / 2 % 1000000);
	ev_watchdog = event_new(gk->base, -1, EV_PERSIST, watchdog_ping, NULL);
	if (ev_watchdog == NULL || event_add(ev_watchdog, &tv) == -1)
		log_warnx("cannot start the watchdog's timer");
	notify_send("WATCHDOG=1");
}

void
notify_stopping(void)
{
	if (ev_watchdog != NULL)
		event_free(ev_watchdog);
	ev_watchdog = NULL;
	notify_send("STOPPING=1");
}

/* FDSTOREREMOVE=1: the manager closes what it keeps under name. */
static void
store_remove(const char *name)
{
	char	 buf[FDSTORE_NAME_MAX + 32];

	if ((size_t)snprintf(buf, sizeof(buf), "FDSTOREREMOVE=1\nFDNAME=%s",
	    name) >= sizeof(buf))
		return;	/* no name of ours is that long */
	notify_send(buf);
}

/*
 * The region called name handed back by the fd store, checked, or -1 when
 * there is none or it failed the check: then it is closed and removed from
 * the store (the caller makes a new one and stores that).
 */
int
notify_fd_take(const char *name, size_t size)
{
	char	 why[160];
	int	 i, fd;

	for (i = 0; i < nkept; i++) {
		if (kept[i].fd == -1 || strcmp(kept[i].name, name) != 0)
			continue;
		fd = kept[i].fd;
		kept[i].fd = -1;
		if (fdstore_check(fd, name, size, why, sizeof(why)) == 0) {
			log_info("fd store: %s kept from before the restart",
			    name);
			return fd;
		}
		log_warnx("fd store: %s refused: %s; a new one is made", name,
		    why);
		close(fd);
		store_remove(name);
	}
	return -1;
}

/* Whether another descriptor of kept[i]'s name was handled already (taken
 * by its region, or refused and removed). */
static int
name_handled(int i)
{
	int	 j;

	for (j = 0; j < nkept; j++)
		if (j != i && kept[j].fd == -1 &&
		    strcmp(kept[j].name, kept[i].name) == 0)
			return 1;
	return 0;
}

/* Closes what no region claimed (a name this version does not keep, a
 * second one of a name) and tells the manager to forget it, unless that
 * would forget a region of the same name stored again (FDSTOREREMOVE
 * takes every descriptor of a name). */
void
notify_fd_unclaimed(void)
{
	int	 i;

	for (i = 0; i < nkept; i++) {
		if (kept[i].fd == -1)
			continue;
		log_warnx("fd store: \"%s\" (fd %d) is no region of ours; "
		    "closed", kept[i].name, kept[i].fd);
		close(kept[i].fd);
		kept[i].fd = -2;	/* handled, for name_handled() */
		if (kept[i].name[0] != '\0' && !name_handled(i))
			store_remove(kept[i].name);
	}
	nkept = 0;
}

/*
 * FDSTORE=1: the manager keeps fd under name until we are started again
 * (it drops a descriptor it holds already, so sending a kept one again is
 * harmless, and all of them when the service is stopped for good). Under
 * no manager, or one whose unit has no FileDescriptorStoreMax=, nothing is
 * kept: a restart then starts the region afresh.
 */
void
notify_fd_store(int fd, const char *name)
{
	char		 buf[FDSTORE_NAME_MAX + 32];
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	}		 cm;
	struct iovec	 iov;
	struct msghdr	 msg;
	struct cmsghdr	*c;

	if (notify_fd == -1)
		return;
	if ((size_t)snprintf(buf, sizeof(buf), "FDSTORE=1\nFDNAME=%s",
	    name) >= sizeof(buf))
		return;
	iov.iov_base = buf;
	iov.iov_len = strlen(buf);
	memset(&msg, 0, sizeof(msg));
	memset(&cm, 0, sizeof(cm));
	msg.msg_name = &notify_addr;
	msg.msg_namelen = notify_len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cm.buf;
	msg.msg_controllen = sizeof(cm.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(notify_fd, &msg, MSG_NOSIGNAL) == -1)
		log_warn("NOTIFY_SOCKET: FDSTORE %s", name);
}
