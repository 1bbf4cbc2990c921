/*
 * The children: exec each with its descriptors at the numbers of the
 * child table (layout.h), watch the channel, restart one that dies (at
 * once, then backing off to 30 s while it keeps dying early), kill one
 * that breaks the protocol.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "gatekeeperd.h"
#include "log.h"
#include "util.h"

#define EARLY_DEATH_SECS	10	/* dying sooner counts as "keeps dying" */
#define MAX_BACKOFF_SECS	30
#define STATUS_DEADLINE_MS	500
#define STOP_GRACE_MS		3000

struct status_waiter {
	uint32_t	 seq;
	void		(*done)(void *);
	void		*arg;
	struct event	*timer;
	struct status_waiter *next;
};

static struct status_waiter *waiters;

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
		fatal("state dir %s", gk->conf.state_dir);
	for (i = 0; i < NCHILDREN; i++) {
		c = &gk->children[i];
		memset(c, 0, sizeof(*c));
		c->layout = &child_layouts[i];
		check_layout(c->layout);
		c->peer = c->layout->peer;
		c->name = c->layout->name;
		c->user = c->layout->user;
		c->pid = -1;
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

/* A child that breaks the protocol is not trusted with another word. */
static void
kill_child(struct child *c, const char *why)
{
	log_warnx("%s (pid %d): %s; killing it", c->name, (int)c->pid, why);
	if (c->pid > 0)
		kill(c->pid, SIGKILL);
	proto_chan_free(c->chan);
	c->chan = NULL;
}

static void	waiters_check(void);
static void	relay_reply(struct child *, struct proto_msg *);
static void	relay_part(struct child *, struct proto_msg *);
static void	relay_fail_child(struct child *, const char *why);

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
	proc_send_config(c);
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
	waiters_check();
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
		relay_reply(c, msg);
		break;
	case MSG_CHILD_CTL_PART:
		relay_part(c, msg);
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
	/* EOF: the child is exiting; SIGCHLD brings the rest. */
	proto_chan_free(c->chan);
	c->chan = NULL;
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
	/* Lift every source above the targets first so that no dup2 can
	 * clobber a source that has not been placed yet. */
	for (i = 0; i < n; i++)
		if ((src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 64)) == -1)
			_exit(127);
	for (i = 0; i < n; i++)
		if (dup2(src[i], FD_PARENT + i) == -1)
			_exit(127);
	if (close_range(FD_PARENT + n, ~0U, 0) == -1)
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
	c->pid = pid;
	c->state = CHILD_STARTING;
	mono_now(&c->started);
	c->chan = proto_chan_new(gk->base, pair[0], PEER_PARENT, c->peer,
	    child_msg, child_chan_closed, c);
	if (c->chan == NULL) {
		close(pair[0]);
		kill_child(c, "cannot watch its channel");
	}
	log_debug("%s started, pid %d", c->name, (int)pid);
	return;
retry:
	c->state = CHILD_RESTARTING;
	evtimer_add(c->ev_restart, &retry_tv);
}

void
proc_start_all(void)
{
	int	 i;

	for (i = 0; i < NCHILDREN; i++)
		spawn(&gk->children[i]);
}

static void
schedule_restart(struct child *c, double lived)
{
	struct timeval	 tv = { 0, 0 };

	if (lived < EARLY_DEATH_SECS)
		c->quick_deaths++;
	else
		c->quick_deaths = 0;
	if (c->quick_deaths > 1) {
		tv.tv_sec = 1L << (c->quick_deaths - 2 > 5 ? 5 :
		    c->quick_deaths - 2);
		if (tv.tv_sec > MAX_BACKOFF_SECS)
			tv.tv_sec = MAX_BACKOFF_SECS;
	}
	c->restarts++;
	c->state = CHILD_RESTARTING;
	if (tv.tv_sec > 0)
		log_warnx("%s keeps dying; restarting it in %ld s", c->name,
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
		proto_chan_free(c->chan);
		c->chan = NULL;
		c->pid = -1;
		relay_fail_child(c, "exited before answering");
		json_decref(c->detail);
		c->detail = NULL;
		if (gk->stopping) {
			c->state = CHILD_STOPPED;
			continue;
		}
		schedule_restart(c, mono_since(&c->started));
	}
	waiters_check();
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
		kill(c->pid, SIGTERM);
	} else if (c->state == CHILD_RESTARTING) {
		evtimer_del(c->ev_restart);
		spawn(c);
	}
	return 0;
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
			kill(c->pid, SIGTERM);
	}
	for (waited = 0; ; waited += 10) {
		proc_reap();
		for (alive = 0, i = 0; i < NCHILDREN; i++)
			alive += gk->children[i].pid > 0;
		if (alive == 0)
			break;
		if (waited == STOP_GRACE_MS)
			for (i = 0; i < NCHILDREN; i++)
				if (gk->children[i].pid > 0)
					kill(gk->children[i].pid, SIGKILL);
		usleep(10000);
	}
	for (i = 0; i < NCHILDREN; i++) {
		c = &gk->children[i];
		if (c->ev_restart)
			event_free(c->ev_restart);
		c->ev_restart = NULL;
	}
}

/* ---- status rounds ---- */

static int
waiter_satisfied(const struct status_waiter *w)
{
	const struct child *c;
	int		 i;

	for (i = 0; i < NCHILDREN; i++) {
		c = &gk->children[i];
		if (c->state == CHILD_RUNNING && c->chan != NULL &&
		    c->detail_seq < w->seq)
			return 0;
	}
	return 1;
}

static void
waiter_finish(struct status_waiter *w)
{
	struct status_waiter **p;

	for (p = &waiters; *p != NULL; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	event_free(w->timer);
	w->done(w->arg);
	free(w);
}

static void
waiters_check(void)
{
	struct status_waiter *w, *next;

	for (w = waiters; w != NULL; w = next) {
		next = w->next;
		if (waiter_satisfied(w))
			waiter_finish(w);
	}
}

static void
waiter_timeout(evutil_socket_t fd, short ev, void *arg)
{
	waiter_finish(arg);
}

void
proc_collect_status(void (*done)(void *), void *arg)
{
	struct msg_status_req req;
	struct status_waiter *w;
	struct timeval	 tv = { 0, STATUS_DEADLINE_MS * 1000 };
	int		 i;

	req.seq = ++gk->status_seq;
	for (i = 0; i < NCHILDREN; i++)
		if (gk->children[i].state == CHILD_RUNNING &&
		    gk->children[i].chan != NULL)
			proto_chan_send(gk->children[i].chan, MSG_STATUS_REQ,
			    &req, sizeof(req), -1);
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->timer = evtimer_new(gk->base, waiter_timeout, w)) == NULL) {
		free(w);
		done(arg);
		return;
	}
	w->seq = req.seq;
	w->done = done;
	w->arg = arg;
	w->next = waiters;
	waiters = w;
	evtimer_add(w->timer, &tv);
}

/* ---- configuration ---- */

/*
 * Without `upstream`, the nameservers of /etc/resolv.conf (IPv4 ones; a
 * loopback stub such as systemd-resolved's is useless to dnsd in its
 * chroot, so it is skipped). Read here because dnsd cannot see /etc.
 */
static void
resolv_conf_upstreams(struct gk_config *conf)
{
	char		 line[256], addr[64];
	struct in_addr	 a;
	FILE		*f;

	if ((f = fopen("/etc/resolv.conf", "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL &&
	    conf->nupstream < CONF_MAX_UPSTREAM) {
		if (sscanf(line, " nameserver %63s", addr) != 1 ||
		    inet_pton(AF_INET, addr, &a) != 1 ||
		    (ntohl(a.s_addr) >> 24) == 127)
			continue;
		conf->upstream[conf->nupstream++] = a;
	}
	fclose(f);
}

static void
local_port_range(uint16_t *lo, uint16_t *hi)
{
	unsigned	 a = 32768, b = 60999;
	FILE		*f;

	if ((f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re")) !=
	    NULL) {
		if (fscanf(f, "%u %u", &a, &b) != 2 || a > b || b > 65535) {
			a = 32768;
			b = 60999;
		}
		fclose(f);
	}
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
}

static struct msg_config *
build_config(void)
{
	struct msg_config *mc;
	struct netcfg_link link;

	if ((mc = calloc(1, sizeof(*mc))) == NULL)
		return NULL;
	mc->conf = gk->conf;
	if (mc->conf.nupstream == 0)
		resolv_conf_upstreams(&mc->conf);
	strlcpy(mc->lan_ifname, gk->lan.ifname, sizeof(mc->lan_ifname));
	if (netcfg_link_get(gk->lan.ifname, &link) == 0) {
		memcpy(mc->lan_mac, link.mac, sizeof(mc->lan_mac));
		mc->lan_ifindex = link.index > 0 ? (uint32_t)link.index : 0;
	}
	if (netcfg_addr_get(gk->conf.wan, &mc->wan_addr,
	    &mc->wan_prefix) == -1) {
		mc->wan_addr.s_addr = 0;
		mc->wan_prefix = 0;
	}
	mc->generation = gk->config_generation;
	local_port_range(&mc->local_port_min, &mc->local_port_max);
	return mc;
}

void
proc_send_config(struct child *c)
{
	struct msg_config *mc;

	if (c->chan == NULL || (mc = build_config()) == NULL)
		return;
	if (proto_chan_send(c->chan, MSG_CONFIG, mc, sizeof(*mc), -1) == -1)
		log_warnx("%s: cannot send the configuration", c->name);
	free(mc);
}

void
proc_send_config_all(void)
{
	int	 i;

	for (i = 0; i < NCHILDREN; i++)
		if (gk->children[i].state == CHILD_RUNNING)
			proc_send_config(&gk->children[i]);
}

/* ---- gkctl requests relayed to a child ---- */

#define RELAY_DEADLINE_SECS	10

struct relay {
	uint32_t	 id;
	struct child	*child;
	relay_done_fn	 done;
	void		*arg;
	struct event	*timer;
	char		*parts;		/* a long reply so far, or NULL */
	size_t		 partslen;
	struct relay	*next;
};

static struct relay *relays;
static uint32_t	 relay_ids;

static void
relay_finish(struct relay *r, int ok, const char *text)
{
	struct relay	**p;

	for (p = &relays; *p != NULL; p = &(*p)->next)
		if (*p == r) {
			*p = r->next;
			break;
		}
	event_free(r->timer);
	r->done(r->arg, ok, text);
	free(r->parts);
	free(r);
}

static void
relay_timeout(evutil_socket_t fd, short ev, void *arg)
{
	struct relay	*r = arg;
	char		 msg[64];

	snprintf(msg, sizeof(msg), "%s did not answer in time",
	    r->child->name);
	relay_finish(r, 0, msg);
}

void
proc_relay(uint32_t peer, const struct msg_ctl_request *req, uid_t uid,
    relay_done_fn done, void *arg)
{
	struct msg_child_ctl *cc;
	struct timeval	 tv = { RELAY_DEADLINE_SECS, 0 };
	struct relay	*r;
	struct child	*c = proc_by_name(proto_peer_name(peer));
	char		 msg[64];

	if (c == NULL || c->state != CHILD_RUNNING || c->chan == NULL) {
		snprintf(msg, sizeof(msg), "%s is not running",
		    proto_peer_name(peer));
		done(arg, 0, msg);
		return;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (cc = calloc(1, sizeof(*cc))) == NULL ||
	    (r->timer = evtimer_new(gk->base, relay_timeout, r)) == NULL) {
		free(r);
		done(arg, 0, "out of memory");
		return;
	}
	r->id = cc->id = ++relay_ids;
	r->child = c;
	r->done = done;
	r->arg = arg;
	cc->uid = (uint32_t)uid;
	cc->req = *req;
	if (proto_chan_send(c->chan, MSG_CHILD_CTL, cc, sizeof(*cc),
	    -1) == -1) {
		free(cc);
		event_free(r->timer);
		free(r);
		done(arg, 0, "cannot reach the daemon");
		return;
	}
	free(cc);
	r->next = relays;
	relays = r;
	evtimer_add(r->timer, &tv);
}

static struct relay *
relay_find(struct child *c, uint32_t id)
{
	struct relay	*r;

	for (r = relays; r != NULL; r = r->next)
		if (r->id == id && r->child == c)
			return r;
	return NULL;		/* timed out already */
}

/* Appends n bytes to r's long reply; -1 past CTL_MAX_REPLY. */
static int
relay_append(struct relay *r, const void *bytes, size_t n)
{
	char	*p;

	if (r->partslen + n > CTL_MAX_REPLY ||
	    (p = realloc(r->parts, r->partslen + n)) == NULL)
		return -1;
	memcpy(p + r->partslen, bytes, n);
	r->parts = p;
	r->partslen += n;
	return 0;
}

static void
relay_part(struct child *c, struct proto_msg *msg)
{
	struct msg_child_ctl_part part;
	struct relay	*r;

	memcpy(&part, msg->data, sizeof(part));
	if ((r = relay_find(c, part.id)) == NULL)
		return;
	if (relay_append(r, msg->data + sizeof(part),
	    msg->len - sizeof(part)) == -1)
		relay_finish(r, 0, "reply too large");
}

static void
relay_reply(struct child *c, struct proto_msg *msg)
{
	struct msg_child_ctl_reply rep;
	struct relay	*r;
	const char	*text = (const char *)msg->data + sizeof(rep);

	memcpy(&rep, msg->data, sizeof(rep));
	if ((r = relay_find(c, rep.id)) == NULL)
		return;
	if (r->parts == NULL) {
		relay_finish(r, rep.ok != 0, text);
		return;
	}
	if (relay_append(r, text, strlen(text) + 1) == -1) {
		relay_finish(r, 0, "reply too large");
		return;
	}
	/* A NUL inside the parts would cut the text short: not valid. */
	if (strlen(r->parts) + 1 != r->partslen)
		relay_finish(r, 0, "malformed long reply");
	else
		relay_finish(r, rep.ok != 0, r->parts);
}

static void
relay_fail_child(struct child *c, const char *why)
{
	struct relay	*r, *next;
	char		 msg[96];

	snprintf(msg, sizeof(msg), "%s %s", c->name, why);
	for (r = relays; r != NULL; r = next) {
		next = r->next;
		if (r->child == c)
			relay_finish(r, 0, msg);
	}
}
