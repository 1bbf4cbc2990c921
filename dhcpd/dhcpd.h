/*
 * dhcpd's own state, shared by its I/O (dhcpd.c) and its status and
 * command handlers (ctl.c); nothing outside dhcpd includes this.
 */
#ifndef GK_DHCPD_H
#define GK_DHCPD_H

#include <net/if.h>

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "child.h"
#include "server.h"
#include "wire.h"

/* The sizes of dhcpd's tables. */
#define PEND_MAX	2048		/* replies waiting for a commit */
#define RXBUF		2048
#define MAX_PROBES	1024		/* DISCOVERs waiting on an ARP probe */
#define AHEAD_MAX	DHCP_READY_MAX	/* probes ahead of demand in flight */

struct event;
struct event_base;
struct proto_chan;
struct dhcp_store;
struct dhcp_writer;

/* A DISCOVER held while its address is probed. */
struct probe {
	int		 active;
	uint32_t	 ip;
	struct dhcp_rx	 rx;
	size_t		 len;
	uint8_t		 pkt[RXBUF];
	struct event	*timer;
};

/* I/O counters; the server keeps its own (server.h). */
struct io_stats {
	uint64_t	 truncated;	/* larger than RXBUF */
	uint64_t	 recv_errors, send_errors;
	uint64_t	 commit_failures;	/* replies not sent */
	uint64_t	 paused;		/* reading stopped: queue full */
	uint64_t	 probe_busy;	/* no probe slot: dropped */
	uint64_t	 arp_seen;
	uint64_t	 probes_ahead;	/* ARP probes ahead of demand */
	uint64_t	 names_unsent;	/* no channel to dnsd */
	uint64_t	 batched;	/* messages read */
	uint64_t	 frames;	/* frames read from the frame socket */
	uint64_t	 frames_not_for_us;	/* another host's, or ours */
	uint64_t	 frame_drop[FRAME_ERR_MAX];	/* by reason */
	uint64_t	 kernel_drops;	/* the frame socket's queue was full */
};

struct dhcpd {
	struct event_base *base;
	struct dhcp_server *srv;
	struct dhcp_store *store;
	struct dhcp_writer *w;
	struct event	*ev_writer;
	uint64_t	 committed;	/* the last batch done */
	int		 committed_ok;
	int		 reading_paused;
	int64_t		 group_since;	/* us: first change of the open batch */
	struct event	*ev_group;
	struct proto_chan *dnsd;
	struct event	*ev_rx, *ev_arp, *ev_tick, *ev_ahead;
	int		 serving;
	uint32_t	 generation;
	struct dhcp_conf conf;
	struct conf_static_lease statics[CONF_MAX_STATIC];
	int		 nstatic;
	struct io_stats	 io;
	struct probe	 probes[MAX_PROBES];
	/* Probes ahead of demand, oldest first: all wait PROBE_WAIT_MS. */
	struct {
		uint32_t ip;
		int64_t	 due;	/* monotonic ms */
	}		 ahead[AHEAD_MAX];
	uint32_t	 ahead_head, ahead_count;
	int		 ahead_fast;	/* timer at AHEAD_FAST_MS */
	/* Replies in order, each waiting for batch tag to be committed. */
	struct pending {
		uint64_t	 tag;
		struct dhcp_reply r;
	}		 pend[PEND_MAX];
	uint32_t	 phead, pcount;
	int		 lan_ifindex;
	char		 lan_ifname[IF_NAMESIZE];
};

extern struct dhcpd	 dhcpd;

/* dhcpd.c: everything decided so far committed, before the store is
 * used directly (the reservation commands write it from this thread). */
void	dhcpd_drain(void);
/* dhcpd.c: frames the kernel dropped for a full queue, so far. */
uint64_t dhcpd_kernel_drops(void);

/* ctl.c */
extern const struct ctl_handler	dhcpd_handlers[];
extern const int		dhcpd_nhandlers;
void	dhcpd_status(json_t *detail, void *arg);

#endif
