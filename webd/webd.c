/*
 * webd: the dashboard. This is its foundation: it holds the web listener
 * on the LAN address and its channels to natd and dnsd, runs sandboxed,
 * and answers status. It serves no pages yet and its status says so.
 * This file is the I/O; its status and gkctl commands are in ctl.c.
 *
 * What it keeps already: the names each LAN device resolved remote
 * addresses by, from dnsd's observations (names.c), for the dashboard
 * to label remote hosts with; `gkctl names [IP]` shows them.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "chan.h"
#include "child.h"
#include "log.h"
#include "names.h"
#include "util.h"
#include "webd.h"

#define EXPIRE_INTERVAL_S	10

struct webd		 webd;
static struct event	 ev_expire;

static void
dnsd_msg(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	static struct msg_dns_obs m;

	if (msg->hdr.type != MSG_DNS_OBS) {
		/* dnsd sends nothing else; proto_check vouched for size */
		webd.dnsd_unexpected++;
		log_warnx("unexpected %s from dnsd",
		    proto_type_name(msg->hdr.type));
		return;
	}
	memset(&m, 0, sizeof(m));
	memcpy(&m, msg->data, msg->len);
	names_observe_batch(webd.names, &m, mono_s());
}

static void
dnsd_closed(struct proto_chan *c, const char *why, void *arg)
{
	log_warnx("dnsd channel %s; no more names from dnsd", why);
	proto_chan_free(c);
	webd.dnsd_chan = NULL;
}

static void
expire_tick(evutil_socket_t fd, short what, void *arg)
{
	names_expire(webd.names, mono_s());
}

static void
webd_init(struct event_base *base, void *arg)
{
	struct timeval	 tv = { EXPIRE_INTERVAL_S, 0 };

	if ((webd.names = malloc(sizeof(*webd.names))) == NULL)
		fatal("names table");
	names_init(webd.names);
	webd.dnsd_chan = proto_chan_new(base, FD_WEBD_DNSD, PEER_WEBD,
	    PEER_DNSD, dnsd_msg, dnsd_closed, NULL);
	if (webd.dnsd_chan == NULL)
		fatal("dnsd channel");
	event_assign(&ev_expire, base, -1, EV_PERSIST, expire_tick, NULL);
	event_add(&ev_expire, &tv);
}

int
main(int argc, char **argv)
{
	/* Not static: the handler count is ctl.c's, not a constant here. */
	const struct child_spec spec = {
		.peer = PEER_WEBD,
		.init = webd_init,
		.status = webd_status,
		.handlers = webd_handlers,
		.nhandlers = webd_nhandlers,
	};

	child_main(argc, argv, &spec);
}
