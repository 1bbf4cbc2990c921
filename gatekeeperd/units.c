/*
 * Under systemd (-U): each child has its own unit, which starts it under
 * its own user with only its capability. The child connects to
 * run-dir/children.sock (not control.sock, whose group rights are
 * gkctl's); the kernel tells us its uid (SO_PEERCRED), the child table
 * says whose uid that is, and only then does the connection get that
 * child's descriptors (handover.h) and become its channel, exactly the
 * channel a forked child has (proc.c). Anyone else is refused: the
 * socket is open to every local user, the peer credentials are the gate.
 */
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "gatekeeperd.h"
#include "handover.h"
#include "log.h"

static struct event	*ev_accept;
static int		 units_fd = -1;
static char		 units_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static struct child *
child_by_uid(uid_t uid)
{
	int	 i;

	for (i = 0; i < NCHILDREN; i++)
		if (gk->children[i].uid == uid)
			return &gk->children[i];
	return NULL;
}

/* Whether the process behind a pidfd has exited (its EOF may still be
 * on its way to us). */
static int
pidfd_exited(int pidfd)
{
	struct pollfd	 pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1;
}

/*
 * Which child the peer is, or NULL with why it may not be one: its uid
 * is no child's, or that child is connected and alive (a second copy of
 * a daemon would share its sockets).
 */
static struct child *
claim(const struct ucred *cred, const char **why)
{
	struct child	*c;

	if (gk->stopping) {
		*why = "stopping";
		return NULL;
	}
	if ((c = child_by_uid(cred->uid)) == NULL) {
		*why = "its uid is no child's user";
		return NULL;
	}
	if (c->chan != NULL) {
		if (c->pidfd != -1 && !pidfd_exited(c->pidfd)) {
			*why = "that child is running already";
			return NULL;
		}
		/* Dead, its EOF not read yet: it is the one coming back. */
		proc_gone_unit(c);
	}
	return c;
}

/* Gives the connection on fd to the child it proves to be, or closes it. */
static void
adopt(int fd)
{
	const struct child_layout *l;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	struct child	*c;
	const char	*why;
	int		 fds[LAYOUT_MAX_FDS], pidfd, i;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("children socket: SO_PEERCRED");
		close(fd);
		return;
	}
	if ((c = claim(&cred, &why)) == NULL) {
		log_warnx("children socket: refused pid %d uid %u: %s",
		    (int)cred.pid, (unsigned)cred.uid, why);
		close(fd);
		return;
	}
	if ((pidfd = pidfd_open(cred.pid, 0)) == -1) {
		log_warn("children socket: %s (pid %d): pidfd_open", c->name,
		    (int)cred.pid);
		close(fd);
		return;
	}
	l = c->layout;
	for (i = 0; i < l->nfds; i++)
		fds[i] = gk->res[l->fds[i].res];
	if (handover_send(fd, c->peer, fds, l->nfds) == -1) {
		log_warn("children socket: %s (pid %d): handing over its "
		    "descriptors", c->name, (int)cred.pid);
		close(pidfd);
		close(fd);
		return;
	}
	log_info("%s connected from its unit: pid %d, uid %u", c->name,
	    (int)cred.pid, (unsigned)cred.uid);
	proc_attach(c, fd, cred.pid, pidfd);
}

static void
units_accept(evutil_socket_t lfd, short ev, void *arg)
{
	int	 fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		if (errno != EAGAIN && errno != EINTR &&
		    errno != ECONNABORTED)
			log_warn("children socket: accept");
		return;
	}
	adopt(fd);
}

int
units_open(void)
{
	struct sockaddr_un sun;
	int		 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/children.sock", gk->conf.run_dir) >= sizeof(sun.sun_path)) {
		log_warnx("children socket path too long");
		return -1;
	}
	strlcpy(units_path, sun.sun_path, sizeof(units_path));
	/* Safe: the pid file lock says no other instance owns it. */
	unlink(units_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("children socket");
		return -1;
	}
	/* 0666: every child's user must reach it; SO_PEERCRED decides. */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(units_path, 0666) == -1 || listen(fd, NCHILDREN * 2) == -1) {
		log_warn("children socket %s", units_path);
		close(fd);
		unlink(units_path);
		return -1;
	}
	ev_accept = event_new(gk->base, fd, EV_READ | EV_PERSIST,
	    units_accept, NULL);
	if (ev_accept == NULL || event_add(ev_accept, NULL) == -1) {
		log_warnx("children socket: event");
		close(fd);
		unlink(units_path);
		return -1;
	}
	units_fd = fd;
	log_info("waiting for the children's units on %s", units_path);
	return 0;
}

void
units_close(void)
{
	if (ev_accept != NULL)
		event_free(ev_accept);
	ev_accept = NULL;
	if (units_fd != -1) {
		close(units_fd);
		unlink(units_path);
	}
	units_fd = -1;
}
