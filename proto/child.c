/*
 * The common life of a child daemon, after gatekeeperd exec'd it with its
 * descriptors at the numbers of the child table (layout.h), or after its
 * systemd unit started it and it fetched them from gatekeeperd's children
 * socket (-U) and put them at the same numbers.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "child.h"
#include "commands.h"
#include "handover.h"
#include "log.h"

static struct proto_chan *parent_chan;
static const struct child_spec *spec;
static const struct child_layout *layout;

static __attribute__((noreturn)) void
usage(const char *name)
{
	fprintf(stderr, "usage: %s [-dv] [-U socket] -S statedir | -L\n"
	    "(started by gatekeeperd or by its systemd unit, not by hand)\n",
	    name);
	exit(1);
}

/*
 * Shared memory follows docs/security.md: sealed so that nobody can
 * shrink it under another's mapping, and read-only where we only read.
 */
static void
check_memfd(const struct layout_fd *cf)
{
	int	 seals, fl;

	seals = fcntl(cf->fd, F_GET_SEALS);
	if (seals == -1 || (seals & (F_SEAL_SHRINK | F_SEAL_GROW)) !=
	    (F_SEAL_SHRINK | F_SEAL_GROW))
		fatalx("fd %d (%s) is not sealed against resizing", cf->fd,
		    cf->what);
	fl = fcntl(cf->fd, F_GETFL);
	if (cf->rdonly && (fl == -1 || (fl & O_ACCMODE) != O_RDONLY))
		fatalx("fd %d (%s) is writable, expected read-only", cf->fd,
		    cf->what);
}

/* A descriptor that is not what the parent promised means we were not
 * started by gatekeeperd: refuse rather than misuse it. */
static void
check_fd(const struct layout_fd *cf)
{
	struct sockaddr_storage ss;
	socklen_t	 len = sizeof(ss);
	int		 type;
	socklen_t	 tlen = sizeof(type);

	struct stat	 st;

	if (fcntl(cf->fd, F_GETFD) == -1)
		fatalx("fd %d (%s) is not open", cf->fd, cf->what);
	if (cf->type == LAYOUT_FILE) {
		if (fstat(cf->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    (fcntl(cf->fd, F_GETFL) & O_ACCMODE) != O_RDONLY)
			fatalx("fd %d (%s) is not a read-only file", cf->fd,
			    cf->what);
		return;
	}
	if (cf->type == 0) {
		if (fstat(cf->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_size == 0)
			fatalx("fd %d (%s) is not a memory file", cf->fd,
			    cf->what);
		check_memfd(cf);
		return;
	}
	if (getsockopt(cf->fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1)
		fatal("fd %d (%s) is not a socket", cf->fd, cf->what);
	if (getsockname(cf->fd, (struct sockaddr *)&ss, &len) == -1)
		fatal("fd %d (%s): getsockname", cf->fd, cf->what);
	if (type != cf->type || ss.ss_family != cf->family)
		fatalx("fd %d (%s) has family %d type %d, expected %d/%d",
		    cf->fd, cf->what, ss.ss_family, type, cf->family,
		    cf->type);
}

/*
 * Started by our unit: connect to gatekeeperd's children socket, where
 * our uid (SO_PEERCRED) tells it which child we are, and take the
 * descriptors it hands over; the connection becomes the parent channel.
 * All of them then sit where a forked child finds them.
 */
static void
fetch_fds(const char *path, uint32_t peer)
{
	struct sockaddr_un sun;
	const char	*why;
	int		 src[1 + LAYOUT_MAX_FDS], n = 1 + layout->nfds, i;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		fatalx("%s: path too long", path);
	src[0] = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (src[0] == -1)
		fatal("children socket");
	if (connect(src[0], (struct sockaddr *)&sun, sizeof(sun)) == -1)
		fatal("connect to gatekeeperd at %s", path);
	if ((why = handover_recv(src[0], peer, src + 1, layout->nfds)) != NULL)
		fatalx("%s: %s", path, why);
	if (handover_place(src, n) == -1)
		fatal("placing the descriptors");
	/* A source at a target number was replaced by its placed one. */
	for (i = 0; i < n; i++)
		if (src[i] < FD_PARENT || src[i] >= FD_PARENT + n)
			close(src[i]);
}

static void
send_status(uint32_t seq)
{
	struct msg_status st = { .seq = seq };
	json_t		*detail;
	char		*text;

	detail = json_object();
	if (detail == NULL)
		fatalx("out of memory");
	spec->status(detail, spec->arg);
	text = json_dumps(detail, JSON_COMPACT);
	json_decref(detail);
	if (text == NULL)
		fatalx("cannot encode status");
	if (proto_chan_send_text(parent_chan, MSG_STATUS, &st, sizeof(st),
	    text) == -1)
		log_warnx("cannot send status");
	free(text);
}

static const struct ctl_handler *
find_handler(int cmd)
{
	return cmd_table_find(spec->handlers, (size_t)spec->nhandlers,
	    sizeof(*spec->handlers), cmd);
}

/* The handler table and the catalogue say the same, or we do not run. */
static void
check_handlers(void)
{
	char	 err[128];

	if (cmd_table_check(spec->peer, spec->handlers,
	    (size_t)spec->nhandlers, sizeof(*spec->handlers), err,
	    sizeof(err)) == -1)
		fatalx("%s", err);
}

static void
list_handlers(void)
{
	check_handlers();
	cmd_table_print(spec->handlers, (size_t)spec->nhandlers,
	    sizeof(*spec->handlers));
	exit(0);
}

/* The request's command, checked again, and its handler's answer. */
static json_t *
call_handler(const struct msg_child_ctl *cc, int *fd, char *err,
    size_t errlen)
{
	const struct ctl_handler *h;
	const char	*argv[CTL_MAX_ARGS];
	struct ctl_call	 call;
	uint32_t	 i;
	int		 nw;

	for (i = 0; i < cc->req.argc; i++)
		argv[i] = cc->req.argv[i];
	call.cmd = cmd_check((int)cc->req.argc, argv, err, errlen);
	if (call.cmd == NULL)
		return NULL;
	if ((h = find_handler(call.cmd->id)) == NULL) {
		snprintf(err, errlen, "%s does not answer \"%s\"",
		    proto_peer_name(spec->peer), call.cmd->name);
		return NULL;
	}
	(void)cmd_find((int)cc->req.argc, argv, &nw);
	call.argc = (int)cc->req.argc - nw;
	call.argv = argv + nw;
	call.uid = cc->uid;
	call.arg = spec->arg;
	call.fd = fd;
	return h->fn(&call, err, errlen);
}

static void
handle_ctl(const uint8_t *data, int *fd)
{
	struct msg_child_ctl	*cc;
	struct msg_child_ctl_reply rep;
	struct msg_child_ctl_part part;
	json_t			*body = NULL;
	char			 err[512] = "", *text = NULL;

	/* The message is large; copy it to the heap, not the stack. */
	if ((cc = malloc(sizeof(*cc))) == NULL)
		fatal("malloc");
	memcpy(cc, data, sizeof(*cc));
	rep.id = cc->id;
	body = call_handler(cc, fd, err, sizeof(err));
	if (body != NULL) {
		text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(12));
		json_decref(body);
		if (text == NULL)
			snprintf(err, sizeof(err), "cannot encode the reply");
	}
	if (err[0] == '\0' && text == NULL)
		snprintf(err, sizeof(err), "no reply");
	rep.ok = text != NULL;
	part.id = rep.id;
	if (proto_chan_send_long(parent_chan, MSG_CHILD_CTL_PART, &part,
	    sizeof(part), MSG_CHILD_CTL_REPLY, &rep, sizeof(rep),
	    text ? text : err) == -1) {
		rep.ok = 0;
		proto_chan_send_text(parent_chan, MSG_CHILD_CTL_REPLY, &rep,
		    sizeof(rep), "reply too large");
	}
	free(text);
	free(cc);
}

static void
handle_config(const uint8_t *data)
{
	struct msg_config *mc;

	if ((mc = malloc(sizeof(*mc))) == NULL)
		fatal("malloc");
	memcpy(mc, data, sizeof(*mc));
	log_debug("configuration %u received", mc->generation);
	if (spec->config != NULL)
		spec->config(mc, spec->arg);
	free(mc);
}

void
json_counters(json_t *o, const void *base, const struct json_counter *c,
    size_t n)
{
	const uint8_t	*p = base;
	uint64_t	 v64;
	uint32_t	 v32;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (c[i].size == sizeof(v64))
			memcpy(&v64, p + c[i].off, sizeof(v64));
		else if (c[i].size == sizeof(v32)) {
			memcpy(&v32, p + c[i].off, sizeof(v32));
			v64 = v32;
		} else
			fatalx("counter %s: %zu bytes", c[i].name, c[i].size);
		json_object_set_new(o, c[i].name, json_integer((json_int_t)v64));
	}
}

struct proto_chan *
child_parent_chan(void)
{
	return parent_chan;
}

static void
parent_msg(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	struct msg_status_req req;

	switch (msg->hdr.type) {
	case MSG_STATUS_REQ:
		memcpy(&req, msg->data, sizeof(req));
		send_status(req.seq);
		break;
	case MSG_CONFIG:
		handle_config(msg->data);
		break;
	case MSG_CHILD_CTL:
		handle_ctl(msg->data, &msg->fd);
		break;
	default:
		if (spec->parent_msg != NULL)
			spec->parent_msg(msg, spec->arg);
		else
			log_warnx("unexpected %s message from the parent",
			    proto_type_name(msg->hdr.type));
		break;
	}
}

/* Without the parent we hold privileged sockets nobody supervises. */
static void
parent_closed(struct proto_chan *c, const char *why, void *arg)
{
	log_info("parent channel %s, exiting", why);
	exit(0);
}

static void
on_signal(evutil_socket_t sig, short ev, void *arg)
{
	log_debug("signal %d, exiting", (int)sig);
	exit(0);
}

void
child_main(int argc, char **argv, const struct child_spec *cs)
{
	const char	*name = proto_peer_name(cs->peer);
	const char	*statedir = NULL, *unit_socket = NULL;
	struct privdrop	 pd;
	struct msg_hello hello;
	struct event_base *base;
	struct event	*ev_term, *ev_int;
	int		 ch, debug = 0, verbose = 0, i;

	spec = cs;
	if ((layout = layout_of(cs->peer)) == NULL)
		fatalx("%s is not in the child table", name);
	while ((ch = getopt(argc, argv, "dvLS:U:")) != -1) {
		switch (ch) {
		case 'L':
			list_handlers();
			break;
		case 'd':
			debug = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'S':
			statedir = optarg;
			break;
		case 'U':
			unit_socket = optarg;
			break;
		default:
			usage(name);
		}
	}
	if (statedir == NULL || optind != argc)
		usage(name);
	check_handlers();
	log_procinit(name);
	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);

	if (unit_socket != NULL)
		fetch_fds(unit_socket, cs->peer);
	if (fcntl(FD_PARENT, F_GETFD) == -1)
		fatalx("fd %d (parent channel) is not open", FD_PARENT);
	for (i = 0; i < layout->nfds; i++)
		check_fd(&layout->fds[i]);

	pd.user = layout->user;
	pd.root = statedir;
	pd.keep_caps = layout->keep_caps;
	if (unit_socket != NULL)
		privdrop_unit(&pd);	/* the unit dropped, we check */
	else
		privdrop_apply(&pd);

	/* Everything that allocates kernel objects comes before seccomp. */
	if ((base = event_base_new()) == NULL)
		fatalx("event_base_new");
	signal(SIGPIPE, SIG_IGN);
	ev_term = evsignal_new(base, SIGTERM, on_signal, NULL);
	ev_int = evsignal_new(base, SIGINT, on_signal, NULL);
	if (ev_term == NULL || ev_int == NULL ||
	    evsignal_add(ev_term, NULL) == -1 || evsignal_add(ev_int, NULL) == -1)
		fatalx("cannot set up signal events");
	parent_chan = proto_chan_new(base, FD_PARENT, cs->peer, PEER_PARENT,
	    parent_msg, parent_closed, NULL);
	if (parent_chan == NULL)
		fatal("parent channel");
	if (cs->init != NULL)
		cs->init(base, cs->arg);
	sandbox_apply(layout->profile);

	hello.peer = cs->peer;
	hello.uid = (uint32_t)getuid();
	if (proto_chan_send(parent_chan, MSG_HELLO, &hello, sizeof(hello),
	    -1) == -1)
		fatal("cannot greet the parent");
	log_debug("running as uid %u", hello.uid);
	event_base_dispatch(base);
	fatalx("event loop ended");
}

