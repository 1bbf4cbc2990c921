/*
 * systemd's notification protocol (sd_notify(3)), spoken directly rather
 * than through libsystemd: one datagram of KEY=value lines to
 * $NOTIFY_SOCKET. gatekeeper.service is Type=notify: READY=1 once the
 * network is set up and the children socket is open (so the children's
 * units, ordered after ours, find it), STOPPING=1 when we start undoing,
 * and WATCHDOG=1 every half WatchdogSec= from the event loop, so a loop
 * that hangs stops the pings and systemd restarts us. Without
 * $NOTIFY_SOCKET (no systemd, or a plain start) each call does nothing.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gatekeeperd.h"
#include "log.h"

static int		 notify_fd = -1;
static struct sockaddr_un notify_addr;
static socklen_t	 notify_len;
static uint64_t		 watchdog_usec;
static struct event	*ev_watchdog;

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
