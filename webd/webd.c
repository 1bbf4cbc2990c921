/*
 * webd: the dashboard. This is its foundation: it holds the web listener
 * on the LAN address and its channels to natd and dnsd, runs sandboxed,
 * and answers status. It serves no pages yet and its status says so.
 */
#include <sys/socket.h>

#include "child.h"

static const struct child_fd webd_fds[] = {
	{ FD_WEBD_HTTP, AF_INET, SOCK_STREAM, "web listener" },
	{ FD_WEBD_NATD, AF_UNIX, SOCK_SEQPACKET, "natd channel" },
	{ FD_WEBD_DNSD, AF_UNIX, SOCK_SEQPACKET, "dnsd channel" },
	{ FD_WEBD_RING, 0, 0, "summary ring memory" },
};

static void
webd_status(json_t *detail, void *arg)
{
	json_object_set_new(detail, "service",
	    json_string("none yet: the dashboard is not built"));
}

int
main(int argc, char **argv)
{
	static const struct child_spec spec = {
		.peer = PEER_WEBD,
		.user = "gk-webd",
		.keep_caps = 0,
		.profile = SANDBOX_WEBD,
		.fds = webd_fds,
		.nfds = sizeof(webd_fds) / sizeof(webd_fds[0]),
		.status = webd_status,
	};

	child_main(argc, argv, &spec);
}
