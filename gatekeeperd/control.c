/*
 * The control socket gkctl talks to: run-dir/control.sock, mode 0660,
 * owner root, group gatekeeper. The peer's credentials are checked again
 * on accept (root or a member of group gatekeeper), connections per uid
 * are capped, and every request is a proto message checked like any other.
 * What waits for a client that does not read is capped too: one reply per
 * connection (a second request before the first reply is read closes it),
 * and CONTROL_QUEUE_TOTAL for all of them, so no client can grow the root
 * parent's memory.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "commands.h"
#include "gatekeeperd.h"
#include "log.h"
#include "memstat.h"
#include "util.h"

#define CONTROL_GROUP		"gatekeeper"
#define CONTROL_MAX_PER_UID	8
#define CONTROL_MAX_CONNS	64
/* One whole reply and an error, per connection. */
#define CONTROL_QUEUE_MAX	(CTL_MAX_REPLY + 4096)
#define CONTROL_QUEUE_TOTAL	(2 * CTL_MAX_REPLY)

struct ctl_conn {
	struct proto_chan *chan;
	uid_t		 uid;
	const char	*refuse;	/* answer the request with this, close */
	int		 busy;		/* a status round is pending */
	int		 closed;	/* peer went away meanwhile */
	struct ctl_conn	*next;
};

static struct ctl_conn *conns;
static struct event *ev_accept;
static char	 control_path[sizeof(((struct sockaddr_un *)0)->sun_path)];

static int
conns_of(uid_t uid, int *total)
{
	struct ctl_conn	*cc;
	int		 n = 0;

	*total = 0;
	for (cc = conns; cc != NULL; cc = cc->next) {
		(*total)++;
		if (cc->uid == uid)
			n++;
	}
	return n;
}

/*
 * Root, or group gatekeeper among the peer's groups. SO_PEERGROUPS gives
 * the groups the process really had at connect time, supplementary ones
 * included, whatever /etc/group says about its user.
 */
static int
peer_allowed(int fd, const struct ucred *cred)
{
	struct group	*gr;
	gid_t		 groups[256];
	socklen_t	 len = sizeof(groups);
	size_t		 i;

	if (cred->uid == 0)
		return 1;
	if ((gr = getgrnam(CONTROL_GROUP)) == NULL)
		return 0;
	if (cred->gid == gr->gr_gid)
		return 1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) == -1)
		return 0;
	for (i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == gr->gr_gid)
			return 1;
	return 0;
}

static void
conn_free(struct ctl_conn *cc)
{
	struct ctl_conn	**p;

	for (p = &conns; *p != NULL; p = &(*p)->next)
		if (*p == cc) {
			*p = cc->next;
			break;
		}
	proto_chan_free(cc->chan);
	free(cc);
}

static void
reply_error(struct ctl_conn *cc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply_error(struct ctl_conn *cc, const char *fmt, ...)
{
	char		 msg[512];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	proto_chan_send(cc->chan, MSG_CTL_ERROR, msg, strlen(msg) + 1, -1);
}

/* What waits, unread, for all the control clients. */
static size_t
queued_total(void)
{
	struct ctl_conn	*cc;
	size_t		 total = 0;

	for (cc = conns; cc != NULL; cc = cc->next)
		if (cc->chan != NULL)
			total += proto_chan_queued(cc->chan);
	return total;
}

static void
reply_json(struct ctl_conn *cc, json_t *body)
{
	char		*text;

	text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
	if (text != NULL &&
	    queued_total() + strlen(text) > CONTROL_QUEUE_TOTAL)
		reply_error(cc, "busy: other clients leave too much unread, "
		    "try again");
	else if (text == NULL || proto_chan_send_long(cc->chan,
	    MSG_CTL_REPLY_PART, NULL, 0, MSG_CTL_REPLY, NULL, 0, text) == -1)
		reply_error(cc, "reply too large");
	free(text);
}

static const char *
state_name(enum child_state s)
{
	switch (s) {
	case CHILD_STOPPED:
		return "stopped";
	case CHILD_STARTING:
		return "starting";
	case CHILD_RUNNING:
		return "running";
	case CHILD_RESTARTING:
		return "restarting";
	}
	return "unknown";
}

static json_t *
addr_json(const char *ifname)
{
	struct in_addr	 a;
	char		 buf[INET_ADDRSTRLEN + 4];
	int		 prefix;

	if (ifname[0] == '\0' || netcfg_addr_get(ifname, &a, &prefix) == -1)
		return json_null();
	snprintf(buf, sizeof(buf), "%s/%d", inet_ntoa(a), prefix);
	return json_string(buf);
}

/*
 * A process's proportional set size into o (docs/gkctl: pss_kb, the
 * shared regions' part pss_shmem_kb); null when it cannot be read (the
 * parent under its systemd unit has no CAP_SYS_PTRACE for other users'
 * processes). Returns the Pss in kB, 0 when unknown.
 */
static uint64_t
pss_json(json_t *o, pid_t pid, uint64_t *shmem)
{
	struct memstat	 m;

	if (pid <= 0 || memstat_read(pid, &m) == -1) {
		json_object_set_new(o, "pss_kb", json_null());
		json_object_set_new(o, "pss_shmem_kb", json_null());
		return 0;
	}
	json_object_set_new(o, "pss_kb", json_integer((json_int_t)m.pss_kb));
	json_object_set_new(o, "pss_shmem_kb", m.has_shmem ?
	    json_integer((json_int_t)m.shmem_kb) : json_null());
	*shmem += m.shmem_kb;
	return m.pss_kb;
}

static json_t *
child_json(const struct child *c, uint64_t *pss, uint64_t *shmem)
{
	json_t		*o = json_object();

	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "pid", c->pid > 0 ?
	    json_integer(c->pid) : json_null());
	json_object_set_new(o, "uid", json_integer(c->uid));
	json_object_set_new(o, "user", json_string(c->user));
	json_object_set_new(o, "state", json_string(state_name(c->state)));
	json_object_set_new(o, "restarts", json_integer(c->restarts));
	json_object_set_new(o, "uptime", c->pid > 0 ?
	    json_real((double)(long)(mono_since(&c->started) * 10) / 10) :
	    json_null());
	*pss += pss_json(o, c->pid, shmem);
	json_object_set_new(o, "detail", c->detail ?
	    json_incref(c->detail) : json_object());
	return o;
}

/* ---- the WAN's health, watched every WAN_POLL_S ---- */

static struct wan_health wan_health;
static struct event	*ev_wan;

static void
wan_poll(evutil_socket_t fd, short what, void *arg)
{
	struct netcfg_link l;
	struct in_addr	 a = { 0 };
	int		 prefix = 0, link;

	link = netcfg_link_get(gk->conf.wan, &l) == 0 && l.up && l.carrier;
	if (netcfg_addr_get(gk->conf.wan, &a, &prefix) == -1)
		a.s_addr = 0, prefix = 0;
	wan_observe(&wan_health, link, a, prefix, wall_ms());
}

static void
wan_watch_start(void)
{
	struct timeval	 tv = { WAN_POLL_S, 0 };

	if (gk->conf.wan[0] == '\0')
		return;
	wan_poll(-1, 0, NULL);
	if ((ev_wan = event_new(gk->base, -1, EV_PERSIST, wan_poll, NULL)) ==
	    NULL || event_add(ev_wan, &tv) == -1)
		log_warnx("control: no WAN watch");
}

/* The dnsd detail's outage log: when every upstream stopped answering
 * and when one came back (docs/dnsd.md). */
static json_t *
wan_outages(void)
{
	json_t	*d = NULL, *o;
	int	 i;

	for (i = 0; i < NCHILDREN; i++)
		if (strcmp(gk->children[i].name, "dnsd") == 0)
			d = gk->children[i].detail;
	o = json_object_get(d, "outages");
	return json_is_array(o) ? json_incref(o) : json_array();
}

static json_t *
wan_json(void)
{
	json_t		*wan = json_object();
	const struct wan_health *w = &wan_health;
	uint64_t	 up = wan_up_since(w), now = wall_ms();

	json_object_set_new(wan, "ifname", json_string(gk->conf.wan));
	json_object_set_new(wan, "address", addr_json(gk->conf.wan));
	json_object_set_new(wan, "link", !w->known ? json_null() :
	    json_string(w->link ? "up" : "down"));
	json_object_set_new(wan, "link_since", w->known ?
	    json_integer((json_int_t)w->link_since) : json_null());
	json_object_set_new(wan, "address_since", w->known &&
	    w->addr.s_addr != 0 ? json_integer((json_int_t)w->addr_since) :
	    json_null());
	json_object_set_new(wan, "uptime", up != 0 && now >= up ?
	    json_real((double)((now - up) / 100) / 10) : json_null());
	json_object_set_new(wan, "link_changes",
	    json_integer((json_int_t)w->link_changes));
	json_object_set_new(wan, "address_changes",
	    json_integer((json_int_t)w->addr_changes));
	json_object_set_new(wan, "outages", wan_outages());
	return wan;
}

/* dnsd's output rule as loaded (docs/security.md, "dnsd's output"). */
static json_t *
dnsout_json(void)
{
	const struct dnsout *d = rules_dnsout();
	json_t		*o = json_object(), *ups;
	char		 a[INET_ADDRSTRLEN], net[INET_ADDRSTRLEN + 4];
	const char	*err = rules_dnsout_error();
	uint64_t	 refused;
	int		 i;

	json_object_set_new(o, "mode",
	    json_string(dnsout_mode_name(rules_dnsout_mode())));
	json_object_set_new(o, "error", err ? json_string(err) : json_null());
	if (d == NULL)
		return o;
	json_object_set_new(o, "uid", json_integer(d->uid));
	inet_ntop(AF_INET, &d->lan, a, sizeof(a));
	snprintf(net, sizeof(net), "%s/%d", a, d->prefix);
	json_object_set_new(o, "lan", json_string(net));
	ups = json_array();
	for (i = 0; i < d->nup; i++) {
		inet_ntop(AF_INET, &d->up[i], a, sizeof(a));
		json_array_append_new(ups, json_string(a));
	}
	json_object_set_new(o, "upstreams", ups);
	json_object_set_new(o, "refused", rules_dnsout_refused(&refused) == 0 ?
	    json_integer((json_int_t)refused) : json_null());
	return o;
}

json_t *
control_status_json(void)
{
	json_t		*o = json_object(), *lan, *ports, *daemons, *mem, *self;
	uint64_t	 pss = 0, shmem = 0;
	int		 i;

	json_object_set_new(o, "version", json_string(GK_VERSION));
	json_object_set_new(o, "queue_backend",
	    json_string(rules_backend_name(gk->backend)));
	json_object_set_new(o, "dnsd_output", dnsout_json());
	json_object_set_new(o, "wan", wan_json());
	lan = json_object();
	json_object_set_new(lan, "ifname", json_string(gk->lan.ifname));
	json_object_set_new(lan, "address", addr_json(gk->lan.ifname));
	ports = json_array();
	for (i = 0; i < gk->conf.nlan; i++)
		json_array_append_new(ports, json_string(gk->conf.lan[i]));
	json_object_set_new(lan, "ports", ports);
	json_object_set_new(o, "lan", lan);
	daemons = json_array();
	for (i = 0; i < NCHILDREN; i++)
		json_array_append_new(daemons, child_json(&gk->children[i],
		    &pss, &shmem));
	json_object_set_new(o, "daemons", daemons);
	/* The parent's own, and the suite's: five processes. */
	mem = json_object();
	self = json_object();
	pss += pss_json(self, getpid(), &shmem);
	json_object_set_new(mem, "gatekeeperd", self);
	json_object_set_new(mem, "total_pss_kb", json_integer((json_int_t)pss));
	json_object_set_new(mem, "total_pss_shmem_kb",
	    json_integer((json_int_t)shmem));
	json_object_set_new(o, "memory", mem);
	return o;
}

static void
status_done(void *arg)
{
	struct ctl_conn	*cc = arg;
	json_t		*st;

	cc->busy = 0;
	if (cc->closed) {
		conn_free(cc);
		return;
	}
	st = control_status_json();
	reply_json(cc, st);
	json_decref(st);
}

static void
relay_answered(void *arg, const char *err, json_t *reply)
{
	struct ctl_conn	*cc = arg;

	cc->busy = 0;
	if (cc->closed)
		conn_free(cc);
	else if (err != NULL)
		reply_error(cc, "%s", err);
	else
		reply_json(cc, reply);
}

static void
cmd_status(struct ctl_conn *cc, const struct msg_ctl_request *req)
{
	cc->busy = 1;
	relay_status(status_done, cc);
}

static void
cmd_restart(struct ctl_conn *cc, const struct msg_ctl_request *req)
{
	const char	*name = req->argv[1];
	json_t		*body;

	if (proc_restart(name) == -1) {
		reply_error(cc, "restart: no daemon \"%s\" (natd, dhcpd, "
		    "dnsd or webd)", name);
		return;
	}
	log_info("restart of %s requested by gkctl", name);
	body = json_pack("{s:s}", "restarted", name);
	reply_json(cc, body);
	json_decref(body);
}

/*
 * The commands gatekeeperd answers itself, one per catalogue command it
 * owns, as each daemon has its own (child.h); control_check() proves at
 * start that this table and the catalogue agree. The rest are relayed.
 */
struct parent_handler {
	int		 cmd;		/* enum gk_cmd; first: cmd_table_*() */
	void		(*fn)(struct ctl_conn *,
			    const struct msg_ctl_request *);
};

static const struct parent_handler parent_handlers[] = {
	{ CMD_STATUS, cmd_status },
	{ CMD_RESTART, cmd_restart },
};

#define NPARENT_HANDLERS	\
	(sizeof(parent_handlers) / sizeof(parent_handlers[0]))

int
control_check(char *err, size_t errlen)
{
	return cmd_table_check(PEER_PARENT, parent_handlers, NPARENT_HANDLERS,
	    sizeof(parent_handlers[0]), err, errlen);
}

void
control_list(void)
{
	cmd_table_print(parent_handlers, NPARENT_HANDLERS,
	    sizeof(parent_handlers[0]));
}

/* What a gkctl user may send: root everything root may, others what
 * the group may (peer_allowed() let only those in). */
static uint32_t
sender_of(const struct ctl_conn *cc)
{
	return cc->uid == 0 ? CMD_FROM_ROOT : CMD_FROM_GROUP;
}

/*
 * A stream command's descriptor (commands.h) must be what gkctl makes:
 * the write end of a pipe. Anything else (a file of root's, a socket)
 * is not handed to a child.
 */
static int
stream_pipe(int fd)
{
	struct stat	 st;
	int		 fl;

	return fd != -1 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) &&
	    (fl = fcntl(fd, F_GETFL)) != -1 && (fl & O_ACCMODE) == O_WRONLY;
}

static void
handle_request(struct ctl_conn *cc, const struct msg_ctl_request *req,
    int fd)
{
	const struct gk_command *cmd;
	const struct parent_handler *h;
	const char	*argv[CTL_MAX_ARGS];
	char		 err[512];
	uint32_t	 i;

	for (i = 0; i < req->argc; i++)
		argv[i] = req->argv[i];
	if ((cmd = cmd_check((int)req->argc, argv, err, sizeof(err))) ==
	    NULL) {
		reply_error(cc, "%s", err);
		return;
	}
	if (!cmd_allowed(cmd, sender_of(cc))) {
		reply_error(cc, "%s: only %s may do that", cmd->name,
		    cmd->from & CMD_FROM_GROUP ? "root or group "
		    CONTROL_GROUP : "root");
		return;
	}
	if ((h = cmd_table_find(parent_handlers, NPARENT_HANDLERS,
	    sizeof(parent_handlers[0]), cmd->id)) != NULL) {
		h->fn(cc, req);
		return;
	}
	if (cmd->stream && !stream_pipe(fd)) {
		reply_error(cc, "%s: gkctl sends a pipe for the file with the "
		    "request; none came", cmd->name);
		return;
	}
	cc->busy = 1;
	relay_command(cmd, req, cc->uid, cmd->stream ? fd : -1,
	    relay_answered, cc);
}

static void
conn_msg(struct proto_chan *chan, struct proto_msg *msg, void *arg)
{
	struct ctl_conn	*cc = arg;
	struct msg_ctl_request req;

	if (cc->refuse != NULL) {
		/* Read first: closing with the request unread would reset the
		 * connection and gkctl would never see why. */
		reply_error(cc, "%s", cc->refuse);
		conn_free(cc);
		return;
	}
	if (msg->hdr.type != MSG_CTL_REQUEST) {
		reply_error(cc, "unexpected message");
		return;
	}
	if (proto_chan_queued(cc->chan) > 0) {
		/* Asking again without reading: it would pile replies up. */
		log_warnx("control: uid %u: a request before reading the last "
		    "reply, closed", (unsigned)cc->uid);
		if (cc->busy) {
			/* Its status round still points at cc. */
			proto_chan_free(cc->chan);
			cc->chan = NULL;
			cc->closed = 1;
		} else
			conn_free(cc);
		return;
	}
	if (cc->busy) {
		reply_error(cc, "one request at a time");
		return;
	}
	memcpy(&req, msg->data, sizeof(req));
	/* The channel closes msg->fd after us: the child has its copy. */
	handle_request(cc, &req, msg->fd);
}

static void
conn_closed(struct proto_chan *chan, const char *why, void *arg)
{
	struct ctl_conn	*cc = arg;

	if (strcmp(why, "closed") != 0) {
		log_warnx("control: uid %u: %s", (unsigned)cc->uid, why);
		/* Tell gkctl why before hanging up (e.g. a version skew). */
		reply_error(cc, "protocol error: %s", why);
	}
	if (cc->busy) {
		/* Its status round still points at cc: free it there. */
		proto_chan_free(cc->chan);
		cc->chan = NULL;
		cc->closed = 1;
		return;
	}
	conn_free(cc);
}

/* Once a second at most: a flood of connections must not flood the log. */
static void
warn_too_many(uid_t uid)
{
	static uint32_t	 last, quiet;
	uint32_t	 now = mono_s();

	if (last != 0 && now - last < 1) {
		quiet++;
		return;
	}
	log_warnx("control: uid %u refused: too many connections (%u more "
	    "refused unlogged since the last)", (unsigned)uid, quiet);
	last = now;
	quiet = 0;
}

static void
control_accept(evutil_socket_t lfd, short ev, void *arg)
{
	struct ctl_conn	*cc;
	struct ucred	 cred;
	socklen_t	 len = sizeof(cred);
	int		 fd, total;
	const char	*refuse = NULL;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd == -1) {
		if (errno != EAGAIN && errno != EINTR)
			log_warn("control: accept");
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1) {
		log_warn("control: SO_PEERCRED");
		close(fd);
		return;
	}
	if (conns_of(cred.uid, &total) >= CONTROL_MAX_PER_UID ||
	    total >= CONTROL_MAX_CONNS) {
		warn_too_many(cred.uid);
		close(fd);
		return;
	}
	if (!peer_allowed(fd, &cred)) {
		refuse = "permission denied: root or group " CONTROL_GROUP
		    " only";
		log_warnx("control: uid %u refused: %s", (unsigned)cred.uid,
		    refuse);
	}
	if ((cc = calloc(1, sizeof(*cc))) == NULL) {
		close(fd);
		return;
	}
	cc->uid = cred.uid;
	cc->refuse = refuse;
	cc->chan = proto_chan_new(gk->base, fd, PEER_PARENT, PEER_GKCTL,
	    conn_msg, conn_closed, cc);
	if (cc->chan == NULL) {
		close(fd);
		free(cc);
		return;
	}
	proto_chan_set_queue_max(cc->chan, CONTROL_QUEUE_MAX);
	cc->next = conns;
	conns = cc;
}

int
control_open(void)
{
	struct sockaddr_un sun;
	struct group	*gr;
	int		 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%s/control.sock", gk->conf.run_dir) >= sizeof(sun.sun_path)) {
		log_warnx("control socket path too long");
		return -1;
	}
	strlcpy(control_path, sun.sun_path, sizeof(control_path));
	/* Safe: the pid file lock says no other instance owns it. */
	unlink(control_path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		log_warn("control: socket");
		return -1;
	}
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(fd, 16) == -1) {
		log_warn("control: %s", control_path);
		close(fd);
		return -1;
	}
	gr = getgrnam(CONTROL_GROUP);
	if (chown(control_path, 0, gr ? gr->gr_gid : 0) == -1 ||
	    chmod(control_path, 0660) == -1) {
		log_warn("control: %s", control_path);
		close(fd);
		unlink(control_path);
		return -1;
	}
	if (gr == NULL)
		log_warnx("group %s does not exist: only root may use gkctl",
		    CONTROL_GROUP);
	ev_accept = event_new(gk->base, fd, EV_READ | EV_PERSIST,
	    control_accept, NULL);
	if (ev_accept == NULL || event_add(ev_accept, NULL) == -1) {
		log_warnx("control: event");
		close(fd);
		unlink(control_path);
		return -1;
	}
	gk->control_fd = fd;
	wan_watch_start();
	return 0;
}

void
control_close(void)
{
	while (conns != NULL) {
		if (conns->chan == NULL) {	/* waiting on a status round */
			struct ctl_conn *cc = conns;
			conns = cc->next;
			free(cc);
			continue;
		}
		conn_free(conns);
	}
	if (ev_accept != NULL)
		event_free(ev_accept);
	ev_accept = NULL;
	if (ev_wan != NULL)
		event_free(ev_wan);
	ev_wan = NULL;
	if (gk->control_fd != -1) {
		close(gk->control_fd);
		unlink(control_path);
	}
	gk->control_fd = -1;
}
