/*
 * dhcpd: the DHCPv4 server of the LAN. This is its foundation: it holds
 * the sockets the parent opened for it (UDP port 67 on the LAN, a send-only
 * packet socket for replies to clients without an address, the channel to
 * dnsd), runs sandboxed, and answers status. It serves no DHCP yet and its
 * status says so.
 */
#include <sys/socket.h>

#include <linux/if_packet.h>

#include "child.h"

static const struct child_fd dhcpd_fds[] = {
	{ FD_DHCPD_UDP, AF_INET, SOCK_DGRAM, "DHCP socket" },
	{ FD_DHCPD_PACKET, AF_PACKET, SOCK_DGRAM, "packet socket" },
	{ FD_DHCPD_DNSD, AF_UNIX, SOCK_SEQPACKET, "dnsd channel" },
};

static void
dhcpd_status(json_t *detail, void *arg)
{
	json_object_set_new(detail, "service",
	    json_string("none yet: DHCP serving is not built"));
}

int
main(int argc, char **argv)
{
	static const struct child_spec spec = {
		.peer = PEER_DHCPD,
		.user = "gk-dhcpd",
		.keep_caps = 0,
		.profile = SANDBOX_DHCPD,
		.fds = dhcpd_fds,
		.nfds = sizeof(dhcpd_fds) / sizeof(dhcpd_fds[0]),
		.status = dhcpd_status,
	};

	child_main(argc, argv, &spec);
}
