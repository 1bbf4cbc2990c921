/*
 * The children: exec each with its descriptors at the numbers of the
 * child table (layout.h), watch the channel, restart one that dies (see
 * schedule_restart: at once when killed from outside, backing off to 30 s
 * while it keeps failing by itself), kill one that breaks the protocol.
 * Under systemd (-U) their units start them instead (units.c hands them
 * their descriptors): a dead child waits for its unit, and the rest is
 * the same.
 */
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "gatekeeperd.h"
#include "handover.h"
#include "log.h"
#include "util.h"

#define EARLY_DEATH_SECS	10	/* failing sooner counts as "keeps failing" */
#define MAX_BACKOFF_SECS	30
#define OUTSIDE_BURST		30	/* immediate restarts after outside kills */
#define OUTSIDE_REFILL_SECS	2	/* ... one more each this many seconds */
#define STOP_GRACE_MS		3000

static void	spawn(struct child *);

static void
restart_cb(evutil_socket_t fd, short ev, void *arg)
{
	struct child	*c = arg;

	if (!gk->stopping && c->state == CHILD_RESTARTING)
		spawn(c);
}

/* exec_child() places the descriptors in order and closes what is
 * above the last: the table must have them so. */
static void
check_layout(const struct child_layout *l)
{
	int	 i;

	for (i = 0; i < l->nfds; i++)
		if (l->fds[i].fd != FD_PARENT + 1 + i)
			fatalx("child table: %s's fd %d is out of order",
			    l->name, l->fds[i].fd);
}

void
proc_init(void)
{
	struct passwd	*pw;
	struct child	*c;
	int		 i;

	if (mkdir_owned(gk->conf.state_dir, 0755, 0, 0) == -1)
		fatal("state dir %s (a symlink, or its parent writable by "
		    "others?)", gk->conf.state_dir);
	for (i = 0; i < NCHILDREN; i++) {
		c = &gk->children[i];
		memset(c, 0, sizeof(*c));
		c->layout = &child_layouts[i];
		check_layout(c->layout);
		c->peer = c->layout->peer;
		c->name = c->layout->name;
		c->user = c->layout->user;
		c->pid = -1;
		c->pidfd = -1;
		if ((pw = getpwnam(c->user)) == NULL)
			fatalx("user %s does not exist (the sysusers.d file "
			    "gatekeeper.conf creates it)", c->user);
		if (pw->pw_uid == 0)
			fatalx("user %s must not be root", c->user);
		c->uid = pw->pw_uid;
		c->gid = pw->pw_gid;
		snprintf(c->statedir, sizeof(c->statedir), "%s/%s",
		    gk->conf.state_dir, c->name);
		if (mkdir_owned(c->statedir, 0700, c->uid, c->gid) == -1)
			fatal("state dir %s", c->statedir);
		c->ev_restart = evtimer_new(gk->base, restart_cb, c);
		if (c->ev_restart == NULL)
			fatalx("evtimer_new");
	}
}

struct child *
proc_by_name(const char *name)
{
	int	 i;

	for (i = 0; i < NCHILDREN; i++)
		if (strcmp(gk->children[i].name, name) == 0)
			return &gk->children[i];
	return NULL;
}

static struct child *
proc_by_pid(pid_t pid)
{
	int	 i;

	for (i = 0; i < NCHILDREN; i++)
		if (gk->children[i].pid == pid)
			return &gk->children[i];
	return NULL;
}

/*
 * A signal to a child: by its pidfd when its unit started it (it is not
 * ours to reap, so its pid alone could name another process by now).
 */
void
proc_signal(struct child *c, int sig)
{
	if (c->pidfd != -1)
		pidfd_send_signal(c->pidfd, sig, NULL, 0);
	else if (c->pid > 0)
		kill(c->pid, sig);
}

/* A child that breaks the protocol is not trusted with another word. */
static void
kill_child(struct child *c, const char *why)
{
	log_warnx("%s (pid %d): %s; killing it", c->name, (int)c->pid, why);
	proc_signal(c, SIGKILL);
	c->killed_by_parent = 1;	/* its fault: see did_fail() */
	proto_chan_free(c->chan);
	c->chan = NULL;
	/* No SIGCHLD will tell of a child that its unit started. */
	if (gk->units)
		proc_gone_unit(c);
}

static void
handle_hello(struct child *c, struct proto_msg *msg)
{
	struct msg_hello hello;

	memcpy(&hello, msg->data, sizeof(hello));
	if (hello.peer != c->peer || hello.uid != c->uid) {
		kill_child(c, "hello with wrong identity");
		return;
	}
	if (c->state != CHILD_STARTING) {
		kill_child(c, "second hello");
		return;
	}
	c->state = CHILD_RUNNING;
	log_info("%s running, pid %d, uid %u", c->name, (int)c->pid,
	    (unsigned)c->uid);
	childconf_send(c);
}

static void
handle_status(struct child *c, struct proto_msg *msg)
{
	struct msg_status st;
	json_error_t	 err;
	json_t		*detail;

	memcpy(&st, msg->data, sizeof(st));
	detail = json_loads((const char *)msg->data + sizeof(st), 0, &err);
	if (detail == NULL || !json_is_object(detail)) {
		json_decref(detail);
		kill_child(c, "status is not a JSON object");
		return;
	}
	json_decref(c->detail);
	c->detail = detail;
	c->detail_seq = st.seq;
	relay_status_check();
}

static void
child_msg(struct proto_chan *chan, struct proto_msg *msg, void *arg)
{
	struct child	*c = arg;

	if (msg->hdr.pid != (uint32_t)c->pid) {
		kill_child(c, "message with a foreign pid");
		return;
	}
	if (msg->fd != -1) {
		kill_child(c, "unexpected descriptor");
		return;
	}
	switch (msg->hdr.type) {
	case MSG_HELLO:
		handle_hello(c, msg);
		break;
	case MSG_STATUS:
		handle_status(c, msg);
		break;
	case MSG_CHILD_CTL_REPLY:
		relay_child_reply(c, msg);
		break;
	case MSG_CHILD_CTL_PART:
		relay_child_part(c, msg);
		break;
	case MSG_WEBD_REQUEST:
		if (c->peer != PEER_WEBD) {
			kill_child(c, "a web request not from webd");
			break;
		}
		webreq_handle(c, msg);
		break;
	default:
		kill_child(c, "unexpected message type");
		break;
	}
}

static void
child_chan_closed(struct proto_chan *chan, const char *why, void *arg)
{
	struct child	*c = arg;

	if (strcmp(why, "closed") != 0) {
		kill_child(c, why);
		return;
	}
	/* EOF: the child is exiting; SIGCHLD brings the rest, or, for a
	 * child of its unit, this is all we will hear. */
	proto_chan_free(c->chan);
	c->chan = NULL;
	if (gk->units)
		proc_gone_unit(c);
}

/* In the forked child: put each descriptor at its number and exec. */
static __attribute__((noreturn)) void
exec_child(struct child *c, int chan_fd)
{
	const struct child_layout *l = c->layout;
	char		 path[CONF_MAX_PATH + 16];
	char		*argv[8];
	int		 src[1 + LAYOUT_MAX_FDS], n = 0, i, argc = 0;
	sigset_t	 set;

	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	src[n++] = chan_fd;
	for (i = 0; i < l->nfds; i++)
		src[n++] = gk->res[l->fds[i].res];
	if (handover_place(src, n) == -1 ||
	    close_range(FD_PARENT + n, ~0U, 0) == -1)
		_exit(127);

	snprintf(path, sizeof(path), "%s/%s", gk->libexec, c->name);
	argv[argc++] = (char *)c->name;
	argv[argc++] = "-S";
	argv[argc++] = c->statedir;
	if (gk->debug)
		argv[argc++] = "-d";
	if (gk->verbose)
		argv[argc++] = "-v";
	argv[argc] = NULL;
	execv(path, argv);
	fprintf(stderr, "gatekeeperd: exec %s: %s\n", path, strerror(errno));
	_exit(127);
}

/* The child at pid (pidfd: -1 when ours) talks to us on chan_fd now. */
void
proc_attach(struct child *c, int chan_fd, pid_t pid, int pidfd)
{
	c->pid = pid;
	c->pidfd = pidfd;
	c->state = CHILD_STARTING;
	mono_now(&c->started);
	c->chan = proto_chan_new(gk->base, chan_fd, PEER_PARENT, c->peer,
	    child_msg, child_chan_closed, c);
	if (c->chan == NULL) {
		close(chan_fd);
		kill_child(c, "cannot watch its channel");
	}
}

static void
spawn(struct child *c)
{
	static const struct timeval retry_tv = { 1, 0 };
	int		 pair[2];
	pid_t		 pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    pair) == -1) {
		log_warn("%s: socketpair", c->name);
		goto retry;
	}
	if ((pid = fork()) == -1) {
		log_warn("%s: fork", c->name);
		close(pair[0]);
		close(pair[1]);
		goto retry;
	}
	if (pid == 0)
		exec_child(c, pair[1]);
	close(pair[1]);
	proc_attach(c, pair[0], pid, -1);
	log_debug("%s started, pid %d", c->name, (int)pid);
	return;
retry:
	c->state = CHILD_RESTARTING;
	evtimer_add(c->ev_restart, &retry_tv);
}

int
proc_start_all(void)
{
	int	 i;

	if (gk->units)
		return units_open();
	for (i = 0; i < NCHILDREN; i++)
		spawn(&gk->children[i]);
	return 0;
}

/*
 * Did the child fail by itself? An exit status, a signal of its own
 * making (SIGSEGV, SIGABRT, SIGSYS from seccomp ...) or a SIGKILL from
 * kill_child() for breaking the protocol: a fault that may recur at every
 * start. SIGKILL, SIGTERM, SIGINT or SIGHUP from anyone else (an admin,
 * the OOM killer, a test) and a clean exit (children exit 0 only when
 * told to stop) say nothing about the next start.
 */
static int
did_fail(const struct child *c, int status)
{
	if (c->killed_by_parent)
		return 1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status) != 0;
	if (!WIFSIGNALED(status))
		return 1;
	switch (WTERMSIG(status)) {
	case SIGKILL:
	case SIGTERM:
	case SIGINT:
	case SIGHUP:
		return 0;
	}
	return 1;
}

/*
 * An immediate restart after an outside kill, from a budget of
 * OUTSIDE_BURST that refills by one every OUTSIDE_REFILL_SECS: kills from
 * outside at any pace a person or a test produces cost the LAN no wait;
 * a relentless killer (the OOM killer at every start) costs one fork per
 * OUTSIDE_REFILL_SECS. Returns the seconds to wait (0: now).
 */
static long
outside_delay(struct child *c)
{
	double	 since;

	if (c->outside_at.tv_sec == 0 && c->outside_at.tv_nsec == 0)
		c->outside_budget = OUTSIDE_BURST;
	else {
		since = mono_since(&c->outside_at);
		c->outside_budget += since / OUTSIDE_REFILL_SECS;
		if (c->outside_budget > OUTSIDE_BURST)
			c->outside_budget = OUTSIDE_BURST;
	}
	mono_now(&c->outside_at);
	if (c->outside_budget >= 1) {
		c->outside_budget -= 1;
		return 0;
	}
	c->outside_budget -= 1;		/* the start it waits for */
	return OUTSIDE_REFILL_SECS;
}

/*
 * The restart policy. Killed from outside: at once (outside_delay), so a
 * kill -9 makes nobody on the LAN wait; the early-fault count is left as
 * it was. Failed by itself within EARLY_DEATH_SECS of its start: the
 * first time at once, then 1, 2, 4 ... MAX_BACKOFF_SECS while it keeps
 * failing, so a crash loop does not spin; a child that lived longer
 * starts the count again.
 */
static void
schedule_restart(struct child *c, int status, double lived)
{
	struct timeval	 tv = { 0, 0 };
	int		 fault = did_fail(c, status);

	c->killed_by_parent = 0;
	if (lived >= EARLY_DEATH_SECS)
		c->quick_deaths = 0;
	if (!fault)
		tv.tv_sec = outside_delay(c);
	else if (lived < EARLY_DEATH_SECS && ++c->quick_deaths > 1) {
		tv.tv_sec = 1L << (c->quick_deaths - 2 > 5 ? 5 :
		    c->quick_deaths - 2);
		if (tv.tv_sec > MAX_BACKOFF_SECS)
			tv.tv_sec = MAX_BACKOFF_SECS;
	}
	c->restarts++;
	c->state = CHILD_RESTARTING;
	if (tv.tv_sec > 0)
		log_warnx("%s %s; restarting it in %ld s", c->name,
		    fault ? "keeps failing" : "keeps being killed",
		    (long)tv.tv_sec);
	evtimer_add(c->ev_restart, &tv);
}

static void
log_death(struct child *c, int status)
{
	if (WIFSIGNALED(status))
		log_warnx("%s (pid %d) killed by signal %d", c->name,
		    (int)c->pid, WTERMSIG(status));
	else if (WEXITSTATUS(status) != 0)
		log_warnx("%s (pid %d) exited with status %d", c->name,
		    (int)c->pid, WEXITSTATUS(status));
	else
		log_info("%s (pid %d) exited", c->name, (int)c->pid);
}

/* What a child leaves when it dies, however we learnt of it. */
static void
child_gone(struct child *c)
{
	proto_chan_free(c->chan);
	c->chan = NULL;
	c->pid = -1;
	if (c->pidfd != -1)
		close(c->pidfd);
	c->pidfd = -1;
	relay_child_gone(c, "exited before answering");
	json_decref(c->detail);
	c->detail = NULL;
}

/* Its unit restarts it (Restart=always); units.c hands it the same
 * descriptors when it connects again. */
void
proc_gone_unit(struct child *c)
{
	if (c->pid == -1)
		return;
	if (!gk->stopping)
		log_warnx("%s (pid %d) is gone; waiting for its unit to start "
		    "it again", c->name, (int)c->pid);
	child_gone(c);
	if (gk->stopping) {
		c->state = CHILD_STOPPED;
		return;
	}
	c->restarts++;
	c->state = CHILD_RESTARTING;
	relay_status_check();
}

void
proc_reap(void)
{
	struct child	*c;
	pid_t		 pid;
	int		 status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if ((c = proc_by_pid(pid)) == NULL)
			continue;	/* a helper program (nft, iptables) */
		if (!gk->stopping)
			log_death(c, status);
		child_gone(c);
		if (gk->stopping) {
			c->state = CHILD_STOPPED;
			continue;
		}
		schedule_restart(c, status, mono_since(&c->started));
	}
	relay_status_check();
}

int
proc_restart(const char *name)
{
	struct child	*c;

	if ((c = proc_by_name(name)) == NULL)
		return -1;
	if (c->pid > 0) {
		/* Asked for, so it does not count as dying early. */
		c->started.tv_sec -= EARLY_DEATH_SECS;
		proc_signal(c, SIGTERM);
	} else if (gk->units)
		;	/* its unit is starting it */
	else if (c->state == CHILD_RESTARTING) {
		evtimer_del(c->ev_restart);
		spawn(c);
	}
	return 0;
}

/* The children of units that have exited: their pidfd is readable. */
static void
reap_unit_children(void)
{
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; i < NCHILDREN; i++) {
		if ((pfd.fd = gk->children[i].pidfd) == -1)
			continue;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) == 1)
			proc_gone_unit(&gk->children[i]);
	}
}

void
proc_stop_all(void)
{
	struct child	*c;
	int		 i, alive, waited;

	gk->stopping = 1;
	for (i = 0; i < NCHILDREN; i++) {
		c = &gk->children[i];
		if (c->ev_restart)
			evtimer_del(c->ev_restart);
		if (c->pid > 0)
			proc_signal(c, SIGTERM);
	}
	for (waited = 0; ; waited += 10) {
		proc_reap();
		reap_unit_children();
		for (alive = 0, i = 0; i < NCHILDREN; i++)
			alive += gk->children[i].pid > 0;
		if (alive == 0)
			break;
		if (waited == STOP_GRACE_MS)
			for (i = 0; i < NCHILDREN; i++)
				if (gk->children[i].pid > 0)
					proc_signal(&gk->children[i],
					    SIGKILL);
		usleep(10000);
	}
	for (i = 0; i < NCHILDREN; i++) {
		c = &gk->children[i];
		if (c->ev_restart)
			event_free(c->ev_restart);
		c->ev_restart = NULL;
	}
	units_close();
}
