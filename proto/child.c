/*
 * The common life of a child daemon, after gatekeeperd exec'd it with its
 * descriptors at fixed numbers (proto.h).
 */
#include <sys/socket.h>
#include <sys/stat.h>

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
#include "log.h"

static struct proto_chan *parent_chan;
static const struct child_spec *spec;

static __attribute__((noreturn)) void
usage(const char *name)
{
	fprintf(stderr, "usage: %s [-dv] -S statedir\n"
	    "(started by gatekeeperd, not by hand)\n", name);
	exit(1);
}

/* A descriptor that is not what the parent promised means we were not
 * started by gatekeeperd: refuse rather than misuse it. */
static void
check_fd(const struct child_fd *cf)
{
	struct sockaddr_storage ss;
	socklen_t	 len = sizeof(ss);
	int		 type;
	socklen_t	 tlen = sizeof(type);

	struct stat	 st;

	if (fcntl(cf->fd, F_GETFD) == -1)
		fatalx("fd %d (%s) is not open", cf->fd, cf->what);
	if (cf->type == 0) {
		if (fstat(cf->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
		    st.st_size == 0)
			fatalx("fd %d (%s) is not a memory file", cf->fd,
			    cf->what);
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

static void
handle_ctl(const uint8_t *data)
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
	if (spec->ctl == NULL)
		snprintf(err, sizeof(err), "%s has no commands",
		    proto_peer_name(spec->peer));
	else
		body = spec->ctl(&cc->req, cc->uid, err, sizeof(err),
		    spec->arg);
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
		handle_ctl(msg->data);
		break;
	default:
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
	const char	*statedir = NULL;
	struct privdrop	 pd;
	struct msg_hello hello;
	struct event_base *base;
	struct event	*ev_term, *ev_int;
	int		 ch, debug = 0, verbose = 0, i;

	spec = cs;
	while ((ch = getopt(argc, argv, "dvS:")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'S':
			statedir = optarg;
			break;
		default:
			usage(name);
		}
	}
	if (statedir == NULL || optind != argc)
		usage(name);
	log_procinit(name);
	log_init(debug, LOG_DAEMON);
	log_setverbose(verbose);

	if (fcntl(FD_PARENT, F_GETFD) == -1)
		fatalx("fd %d (parent channel) is not open", FD_PARENT);
	for (i = 0; i < cs->nfds; i++)
		check_fd(&cs->fds[i]);

	pd.user = cs->user;
	pd.root = statedir;
	pd.keep_caps = cs->keep_caps;
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
	sandbox_apply(cs->profile);

	hello.peer = cs->peer;
	hello.uid = (uint32_t)getuid();
	if (proto_chan_send(parent_chan, MSG_HELLO, &hello, sizeof(hello),
	    -1) == -1)
		fatal("cannot greet the parent");
	log_debug("running as uid %u", hello.uid);
	event_base_dispatch(base);
	fatalx("event loop ended");
}

