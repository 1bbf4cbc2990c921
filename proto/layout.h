/*
 * The child table: per daemon its peer id, name, user, capabilities,
 * seccomp profile and the descriptors the parent places for it, in
 * order. gatekeeperd/proc.c places the descriptors from it and
 * proto/child.c checks them from it; nothing else repeats the layout.
 *
 * Pure data: no libevent, no jansson.
 */
#ifndef GK_LAYOUT_H
#define GK_LAYOUT_H

#include <stdint.h>

#include "privdrop.h"

/*
 * Where a child finds its descriptors after exec: the parent channel is
 * always fd 3; the rest are the privileged sockets, child-to-child
 * socketpairs and memory files the parent keeps, so a restarted child
 * gets the same ones. The daemons use these names in their code; the
 * table (layout.c) says what the parent puts at each.
 */
#define FD_PARENT		3
#define FD_NATD_QUEUE		4	/* nfqueue netlink socket */
#define FD_NATD_WEBD		5	/* natd <-> webd socketpair */
#define FD_NATD_STATE		6	/* memfd: NAT tables, kept across restarts */
#define FD_NATD_RING		7	/* memfd: packet summaries for webd */
#define FD_NATD_RING_TAIL	8	/* memfd, read-only: webd's position */
#define FD_NATD_CAPTURE		9	/* memfd: the capture rings, written */
#define FD_DHCPD_UDP		4	/* UDP *:67 bound to the LAN */
#define FD_DHCPD_PACKET		5	/* AF_PACKET on the LAN, send only */
#define FD_DHCPD_DNSD		6	/* dhcpd <-> dnsd socketpair */
#define FD_DHCPD_FRAMES		7	/* AF_PACKET on the LAN: requests */
#define FD_DNSD_UDP		4	/* UDP lan-address:53 */
#define FD_DNSD_TCP		5	/* TCP lan-address:53, listening */
#define FD_DNSD_DHCPD		6
#define FD_DNSD_WEBD		7	/* dnsd <-> webd socketpair */
#define FD_WEBD_HTTP		4	/* TCP lan-address:web-listen */
#define FD_WEBD_NATD		5
#define FD_WEBD_DNSD		6
#define FD_WEBD_RING		7	/* the same ring as natd's, read-only */
#define FD_WEBD_RING_TAIL	8	/* memfd: webd's position in the ring */
#define FD_WEBD_HTTPS		9	/* TCP lan-address:web-tls-listen */
#define FD_WEBD_HISTORY		10	/* memfd: the traffic history */
#define FD_WEBD_CAPTURE		11	/* the capture rings, read-only */
#define FD_WEBD_OUI		12	/* LAYOUT_OUI_PATH, read-only */
#define FD_CHILD_MAX		13	/* highest fd any child expects + 1 */

/*
 * The IEEE's OUI table (Debian's ieee-data), which webd reads for device
 * vendors: its chroot holds only its state dir, so the parent opens it.
 */
#define LAYOUT_OUI_PATH		"/usr/share/ieee-data/oui.txt"

#define LAYOUT_MAX_FDS		(FD_CHILD_MAX - FD_PARENT - 1)

#define NATD_STATE_SIZE		(64UL * 1024 * 1024)
#define NATD_RING_SIZE		(16UL * 1024 * 1024)
#define NATD_RING_TAIL_SIZE	4096UL

#define NATD_QUEUE_NUM		0	/* the nfqueue the parent binds */

/*
 * The descriptors the parent opens once and keeps for the whole run
 * (gatekeeperd/socks.c); a child-to-child socketpair is two of them,
 * one end each.
 */
enum layout_res {
	RES_QUEUE,		/* the nfqueue netlink socket */
	RES_DHCP_UDP,
	RES_DHCP_PACKET,
	RES_DHCP_FRAMES,	/* IPv4 UDP to port 67 with the Ethernet header */
	RES_DNS_UDP,
	RES_DNS_TCP,
	RES_WEB_LISTEN,
	RES_WEB_TLS_LISTEN,
	RES_DHCPD_DNSD,		/* dhcpd's end of dhcpd <-> dnsd */
	RES_DNSD_DHCPD,		/* dnsd's end */
	RES_DNSD_WEBD,
	RES_WEBD_DNSD,
	RES_NATD_WEBD,
	RES_WEBD_NATD,
	RES_NAT_STATE,		/* memfd, NATD_STATE_SIZE */
	RES_NAT_RING,		/* memfd, NATD_RING_SIZE */
	RES_NAT_RING_RO,	/* the same, opened read-only */
	RES_RING_TAIL,		/* memfd, NATD_RING_TAIL_SIZE */
	RES_RING_TAIL_RO,	/* the same, opened read-only */
	RES_HISTORY,		/* memfd, history-memory bytes, webd's */
	RES_CAPTURE,		/* memfd, capture-total (proto/capring.h) */
	RES_CAPTURE_RO,		/* the same, opened read-only */
	RES_OUI,		/* LAYOUT_OUI_PATH read-only, or empty */
	RES_MAX
};

/* layout_fd.type of a read-only regular file (no seals: not ours). */
#define LAYOUT_FILE		(-1)

struct layout_fd {
	int		 fd;		/* where the child finds it */
	enum layout_res	 res;		/* what the parent puts there */
	int		 family;	/* AF_* the socket must have */
	/* SOCK_* it must have; 0: a memfd; LAYOUT_FILE: a file */
	int		 type;
	const char	*what;
	int		 rdonly;	/* a memfd the child only reads */
};

struct child_layout {
	uint32_t		 peer;		/* enum proto_peer */
	const char		*name;		/* program and state dir */
	const char		*user;		/* e.g. "gk-natd" */
	uint64_t		 keep_caps;	/* (1ULL << CAP_*) */
	enum sandbox_profile	 profile;
	/* In order from FD_PARENT + 1, no gaps: the parent closes every
	 * descriptor above the last one before exec. */
	struct layout_fd	 fds[LAYOUT_MAX_FDS];
	int			 nfds;
};

#define LAYOUT_NCHILDREN	4

extern const struct child_layout child_layouts[LAYOUT_NCHILDREN];

/* The layout of the daemon peer (PEER_*), or NULL for any other. */
const struct child_layout *layout_of(uint32_t peer);

#endif
