/*
 * The child table (layout.h): what each daemon is given and must find.
 */
#include <sys/socket.h>

#include <linux/capability.h>

#include <stddef.h>

#include "layout.h"
#include "proto.h"

const struct child_layout child_layouts[LAYOUT_NCHILDREN] = {
	{
		.peer = PEER_NATD, .name = "natd", .user = "gk-natd",
		/* The kernel checks CAP_NET_ADMIN on every verdict. */
		.keep_caps = 1ULL << CAP_NET_ADMIN,
		.profile = SANDBOX_NATD,
		.fds = {
			{ FD_NATD_QUEUE, RES_QUEUE, AF_NETLINK, SOCK_RAW,
			    "nfqueue socket", 0 },
			{ FD_NATD_WEBD, RES_NATD_WEBD, AF_UNIX,
			    SOCK_SEQPACKET, "webd channel", 0 },
			{ FD_NATD_STATE, RES_NAT_STATE, 0, 0,
			    "NAT state memory", 0 },
			{ FD_NATD_RING, RES_NAT_RING, 0, 0,
			    "summary ring memory", 0 },
			{ FD_NATD_RING_TAIL, RES_RING_TAIL_RO, 0, 0,
			    "summary ring tail", 1 },
			{ FD_NATD_CAPTURE, RES_CAPTURE, 0, 0,
			    "capture memory", 0 },
		},
		.nfds = 6,
	},
	{
		.peer = PEER_DHCPD, .name = "dhcpd", .user = "gk-dhcpd",
		.profile = SANDBOX_DHCPD,
		.fds = {
			{ FD_DHCPD_UDP, RES_DHCP_UDP, AF_INET, SOCK_DGRAM,
			    "DHCP socket", 0 },
			{ FD_DHCPD_PACKET, RES_DHCP_PACKET, AF_PACKET,
			    SOCK_DGRAM, "packet socket", 0 },
			{ FD_DHCPD_DNSD, RES_DHCPD_DNSD, AF_UNIX,
			    SOCK_SEQPACKET, "dnsd channel", 0 },
			{ FD_DHCPD_FRAMES, RES_DHCP_FRAMES, AF_PACKET,
			    SOCK_RAW, "DHCP frame socket", 0 },
		},
		.nfds = 4,
	},
	{
		.peer = PEER_DNSD, .name = "dnsd", .user = "gk-dnsd",
		.profile = SANDBOX_DNSD,
		.fds = {
			{ FD_DNSD_UDP, RES_DNS_UDP, AF_INET, SOCK_DGRAM,
			    "DNS UDP socket", 0 },
			{ FD_DNSD_TCP, RES_DNS_TCP, AF_INET, SOCK_STREAM,
			    "DNS TCP listener", 0 },
			{ FD_DNSD_DHCPD, RES_DNSD_DHCPD, AF_UNIX,
			    SOCK_SEQPACKET, "dhcpd channel", 0 },
			{ FD_DNSD_WEBD, RES_DNSD_WEBD, AF_UNIX,
			    SOCK_SEQPACKET, "webd channel", 0 },
		},
		.nfds = 4,
	},
	{
		.peer = PEER_WEBD, .name = "webd", .user = "gk-webd",
		.profile = SANDBOX_WEBD,
		.fds = {
			{ FD_WEBD_HTTP, RES_WEB_LISTEN, AF_INET, SOCK_STREAM,
			    "web listener", 0 },
			{ FD_WEBD_NATD, RES_WEBD_NATD, AF_UNIX,
			    SOCK_SEQPACKET, "natd channel", 0 },
			{ FD_WEBD_DNSD, RES_WEBD_DNSD, AF_UNIX,
			    SOCK_SEQPACKET, "dnsd channel", 0 },
			{ FD_WEBD_RING, RES_NAT_RING_RO, 0, 0,
			    "summary ring memory", 1 },
			{ FD_WEBD_RING_TAIL, RES_RING_TAIL, 0, 0,
			    "summary ring tail", 0 },
			{ FD_WEBD_HTTPS, RES_WEB_TLS_LISTEN, AF_INET,
			    SOCK_STREAM, "web TLS listener", 0 },
			{ FD_WEBD_HISTORY, RES_HISTORY, 0, 0,
			    "traffic history memory", 0 },
			{ FD_WEBD_CAPTURE, RES_CAPTURE_RO, 0, 0,
			    "capture memory", 1 },
			{ FD_WEBD_OUI, RES_OUI, 0, LAYOUT_FILE,
			    "OUI table", 1 },
		},
		.nfds = 9,
	},
};

const struct child_layout *
layout_of(uint32_t peer)
{
	size_t	 i;

	for (i = 0; i < LAYOUT_NCHILDREN; i++)
		if (child_layouts[i].peer == peer)
			return &child_layouts[i];
	return NULL;
}
