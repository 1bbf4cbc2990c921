/*
 * natd: the userspace NAT. This is its foundation: it owns the nfqueue the
 * parent bound and keeps CAP_NET_ADMIN, which the kernel checks on every
 * verdict. It translates nothing yet, so it fails closed: every queued
 * packet gets a DROP verdict and is counted, so nothing from the LAN ever
 * reaches the WAN untranslated; only replies to the router's own sockets
 * (local port range, see local.h) are let through. Verdicts for a whole
 * receive batch go out in one send.
 */
#include <sys/socket.h>

#include <netinet/in.h>

#include <linux/capability.h>
#include <linux/netfilter.h>
#include <linux/netlink.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <event2/event.h>

#include "child.h"
#include "log.h"
#include "local.h"
#include "nfq.h"
#include "proto.h"

#define NATD_BATCH	64
#define NATD_RCVBUF	(256 * 1024)	/* a GSO packet is up to 64 KiB */

static struct {
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 malformed;
	uint64_t	 verdict_errors;
	uint64_t	 local_accepted;
} stats;

static struct local_ports local;

static uint8_t	 rbuf[NATD_RCVBUF];
static uint8_t	 vbuf[NATD_BATCH * 64];

static void
queue_read(evutil_socket_t fd, short ev, void *arg)
{
	struct nfq_pkt	 pkts[1];
	size_t		 voff = 0;
	ssize_t		 n;
	uint32_t	 verdict;
	int		 i, k, batch = 0;

	for (i = 0; i < NATD_BATCH; i++) {
		n = recv(fd, rbuf, sizeof(rbuf), MSG_DONTWAIT);
		if (n == -1) {
			/* ENOBUFS: the kernel dropped packets for us; they
			 * were never accepted, so nothing leaked. */
			if (errno == ENOBUFS)
				continue;
			break;
		}
		k = nfq_parse(rbuf, (size_t)n, pkts, 1);
		if (k != 1) {
			stats.malformed++;
			continue;
		}
		if (pkts[0].hook == NF_INET_PRE_ROUTING &&
		    is_local_reply(pkts[0].payload, pkts[0].len, &local)) {
			stats.local_accepted++;
			verdict = NF_ACCEPT;
		} else {
			stats.packets++;
			stats.bytes += pkts[0].len;
			verdict = NF_DROP;
		}
		if (nfq_put_verdict(vbuf, sizeof(vbuf), &voff, NATD_QUEUE_NUM,
		    pkts[0].id, verdict) == -1)
			break;
		batch++;
	}
	if (batch > 0 && send(fd, vbuf, voff, 0) == -1)
		stats.verdict_errors++;
}

static void
natd_init(struct event_base *base, void *arg)
{
	struct event	*ev;

	ev = event_new(base, FD_NATD_QUEUE, EV_READ | EV_PERSIST, queue_read,
	    NULL);
	if (ev == NULL || event_add(ev, NULL) == -1)
		fatalx("cannot watch the queue socket");
}

static void
natd_config(const struct msg_config *mc, void *arg)
{
	local.wan = mc->wan_addr;
	local.min = mc->local_port_min;
	local.max = mc->local_port_max;
}

static void
natd_status(json_t *detail, void *arg)
{
	json_object_set_new(detail, "translation",
	    json_string("none yet: queued packets are dropped (fail closed)"));
	json_object_set_new(detail, "queue", json_integer(NATD_QUEUE_NUM));
	json_object_set_new(detail, "packets_dropped",
	    json_integer((json_int_t)stats.packets));
	json_object_set_new(detail, "bytes_dropped",
	    json_integer((json_int_t)stats.bytes));
	json_object_set_new(detail, "malformed",
	    json_integer((json_int_t)stats.malformed));
	json_object_set_new(detail, "verdict_errors",
	    json_integer((json_int_t)stats.verdict_errors));
	json_object_set_new(detail, "local_accepted",
	    json_integer((json_int_t)stats.local_accepted));
}

int
main(int argc, char **argv)
{
	static const struct child_fd natd_fds[] = {
		{ FD_NATD_QUEUE, AF_NETLINK, SOCK_RAW, "nfqueue socket" },
		{ FD_NATD_WEBD, AF_UNIX, SOCK_SEQPACKET, "webd channel" },
		{ FD_NATD_STATE, 0, 0, "NAT state memory" },
		{ FD_NATD_RING, 0, 0, "summary ring memory" },
	};
	static const struct child_spec spec = {
		.peer = PEER_NATD,
		.user = "gk-natd",
		/* The kernel checks CAP_NET_ADMIN on every verdict. */
		.keep_caps = 1ULL << CAP_NET_ADMIN,
		.profile = SANDBOX_NATD,
		.fds = natd_fds,
		.nfds = sizeof(natd_fds) / sizeof(natd_fds[0]),
		.init = natd_init,
		.status = natd_status,
		.config = natd_config,
	};

	child_main(argc, argv, &spec);
}
