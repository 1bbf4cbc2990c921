/*
 * dnsd: the LAN's caching DNS forwarder. This is its foundation: it holds
 * the UDP and TCP port 53 sockets on the LAN address and its channels to
 * dhcpd and webd, runs sandboxed, and answers status. It answers no
 * queries yet and its status says so.
 */
#include <sys/socket.h>

#include "child.h"

static const struct child_fd dnsd_fds[] = {
	{ FD_DNSD_UDP, AF_INET, SOCK_DGRAM, "DNS UDP socket" },
	{ FD_DNSD_TCP, AF_INET, SOCK_STREAM, "DNS TCP listener" },
	{ FD_DNSD_DHCPD, AF_UNIX, SOCK_SEQPACKET, "dhcpd channel" },
	{ FD_DNSD_WEBD, AF_UNIX, SOCK_SEQPACKET, "webd channel" },
};

static void
dnsd_status(json_t *detail, void *arg)
{
	json_object_set_new(detail, "service",
	    json_string("none yet: DNS serving is not built"));
}

int
main(int argc, char **argv)
{
	static const struct child_spec spec = {
		.peer = PEER_DNSD,
		.user = "gk-dnsd",
		.keep_caps = 0,
		.profile = SANDBOX_DNSD,
		.fds = dnsd_fds,
		.nfds = sizeof(dnsd_fds) / sizeof(dnsd_fds[0]),
		.status = dnsd_status,
	};

	child_main(argc, argv, &spec);
}
