/*
 * dhcpd: the DHCPv4 server of the LAN. This file is the I/O: the sockets
 * the parent opened (UDP *:67 on the LAN, the packet socket for replies to
 * clients without an address and for ARP probes, the channel to dnsd),
 * the lease database, and gkctl's commands. Every decision is made in
 * server.c; this file reads packets in batches and lets the server
 * decide; the lease changes go to the writer thread (writer.c), which
 * commits them in groups while this thread goes on serving, and each
 * reply waits until the group holding its changes is committed: no ACK
 * leaves before its lease is durable, a burst of clients shares one
 * fsync, and no client waits on the disk for another.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "chan.h"
#include "child.h"
#include "commands.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "wire.h"
#include "writer.h"
#include "util.h"

#define DB_PATH		"/leases.db"	/* inside the chroot: the state dir */
#define BATCH		64		/* messages per receive */
#define OUT_MAX		(BATCH * 4)	/* replies per sendmmsg round */
#define PEND_MAX	2048		/* replies waiting for a commit */
#define CHANGES_MAX	4		/* lease changes one message makes */
#define GROUP_MS	4		/* a commit waits this for company */
#define GROUP_FULL	512		/* ... unless it has this many changes */
#define RXBUF		2048
#define RCVBUF_BYTES	(2 * 1024 * 1024)	/* the UDP socket's */
#define MAX_PROBES	1024		/* DISCOVERs waiting on an ARP probe */
#define PROBE_WAIT_MS	100
#define AHEAD_MAX	DHCP_READY_MAX	/* probes ahead of demand in flight */
#define AHEAD_BURST	128		/* ARP requests per sendmmsg */
#define AHEAD_FAST_MS	10		/* probing: timer period */
#define AHEAD_IDLE_MS	1000		/* all probed: timer period */
#define TICK_SECS	5

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
};

static struct {
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
	struct event	*ev_udp, *ev_arp, *ev_tick, *ev_ahead;
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
} d;

static int64_t
now_unix(void)
{
	return (int64_t)time(NULL);
}

static const char *
ntoa(uint32_t a, char *buf, size_t len)
{
	return inet_ntop(AF_INET, &a, buf, (socklen_t)len);
}

/* ------------------------------------------------------------ dnsd */

static void
send_host(uint16_t type, const struct dhcp_lease *e)
{
	struct msg_host	 h;

	if (d.dnsd == NULL) {
		d.io.names_unsent++;
		return;
	}
	memset(&h, 0, sizeof(h));
	h.ip.s_addr = e->ip;
	h.expiry = e->expires > 0 ? (uint32_t)e->expires : 0;
	strlcpy(h.name, e->hostname, sizeof(h.name));
	if (proto_chan_send(d.dnsd, type, &h, sizeof(h), -1) == -1)
		d.io.names_unsent++;
}

static void
name_add(const struct dhcp_lease *e, void *arg)
{
	send_host(MSG_HOST_ADD, e);
}

static void
name_del(const struct dhcp_lease *e, void *arg)
{
	send_host(MSG_HOST_DEL, e);
}

static void
sync_names(void)
{
	if (d.srv != NULL)
		dhcp_foreach_name(d.srv, name_add, NULL);
}

static void
dnsd_msg(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	if (msg->hdr.type == MSG_HOST_SYNC) {
		log_debug("dnsd asked for every name");
		sync_names();
	} else
		log_warnx("unexpected %s message from dnsd",
		    proto_type_name(msg->hdr.type));
}

static void
dnsd_closed(struct proto_chan *c, const char *why, void *arg)
{
	log_warnx("channel to dnsd %s; names are no longer sent", why);
	proto_chan_free(c);
	d.dnsd = NULL;
}

/* ------------------------------------------------------------ leases */

/* To the writer's open batch; a change that does not fit fails it. */
static void
persist(const struct dhcp_lease *e, void *arg)
{
	(void)writer_add(d.w, e);
}

static const struct dhcp_ops server_ops = { persist, name_add, name_del,
    NULL };

/* ------------------------------------------------------------ sending */

static void
udp_dest(const struct dhcp_reply *r, struct sockaddr_in *sin)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	switch (r->dest) {
	case DEST_RELAY:
		sin->sin_addr.s_addr = r->ip;
		sin->sin_port = htons(67);
		break;
	case DEST_CLIENT:
		sin->sin_addr.s_addr = r->ip;
		sin->sin_port = htons(68);
		break;
	default:
		sin->sin_addr.s_addr = INADDR_BROADCAST;
		sin->sin_port = htons(68);
		break;
	}
}

/*
 * Sends the batch's replies: through the UDP socket (relay, client
 * address, broadcast) with our address as the source, or framed in IP and
 * UDP through the packet socket to a client that has no address yet.
 * One sendmmsg per socket.
 */
static void
send_replies(struct dhcp_reply *const *list, int nlist)
{
	static struct mmsghdr	 um[OUT_MAX], pm[OUT_MAX];
	static struct iovec	 uiov[OUT_MAX], piov[OUT_MAX];
	static struct sockaddr_in usin[OUT_MAX];
	static struct sockaddr_ll pll[OUT_MAX];
	static uint8_t		 frames[OUT_MAX][DHCP_MAX_MSG + DHCP_IPUDP_LEN];
	static union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl[OUT_MAX];
	struct in_pktinfo	 pi;
	struct cmsghdr		*cm;
	struct dhcp_reply	*r;
	int			 i, nu = 0, np = 0, n;
	size_t			 flen;

	for (i = 0; i < nlist; i++) {
		r = list[i];
		if (r->dest == DEST_HWADDR) {
			flen = ipudp_wrap(frames[np], sizeof(frames[np]),
			    d.conf.server, htons(67), r->ip, htons(68),
			    r->buf, r->len);
			if (flen == 0)
				continue;
			memset(&pll[np], 0, sizeof(pll[np]));
			pll[np].sll_family = AF_PACKET;
			pll[np].sll_protocol = htons(ETH_P_IP);
			pll[np].sll_ifindex = d.lan_ifindex;
			pll[np].sll_halen = 6;
			memcpy(pll[np].sll_addr, r->hwaddr, 6);
			piov[np].iov_base = frames[np];
			piov[np].iov_len = flen;
			memset(&pm[np], 0, sizeof(pm[np]));
			pm[np].msg_hdr.msg_name = &pll[np];
			pm[np].msg_hdr.msg_namelen = sizeof(pll[np]);
			pm[np].msg_hdr.msg_iov = &piov[np];
			pm[np].msg_hdr.msg_iovlen = 1;
			np++;
			continue;
		}
		udp_dest(r, &usin[nu]);
		uiov[nu].iov_base = r->buf;
		uiov[nu].iov_len = r->len;
		memset(&um[nu], 0, sizeof(um[nu]));
		um[nu].msg_hdr.msg_name = &usin[nu];
		um[nu].msg_hdr.msg_namelen = sizeof(usin[nu]);
		um[nu].msg_hdr.msg_iov = &uiov[nu];
		um[nu].msg_hdr.msg_iovlen = 1;
		/* Our LAN address as the source, whatever the route says. */
		memset(&ctl[nu], 0, sizeof(ctl[nu]));
		um[nu].msg_hdr.msg_control = ctl[nu].b;
		um[nu].msg_hdr.msg_controllen = sizeof(ctl[nu].b);
		cm = CMSG_FIRSTHDR(&um[nu].msg_hdr);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memset(&pi, 0, sizeof(pi));
		pi.ipi_spec_dst.s_addr = d.conf.server;
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		nu++;
	}
	for (i = 0; i < nu; i += n) {
		if ((n = sendmmsg(FD_DHCPD_UDP, um + i, (unsigned)(nu - i),
		    0)) <= 0) {
			d.io.send_errors += (uint64_t)(nu - i);
			break;
		}
	}
	for (i = 0; i < np; i += n) {
		if ((n = sendmmsg(FD_DHCPD_PACKET, pm + i, (unsigned)(np - i),
		    0)) <= 0) {
			d.io.send_errors += (uint64_t)(np - i);
			break;
		}
	}
}

/*
 * Sends the replies, in order, whose batch is committed; a reply whose
 * batch failed is not sent (it would claim a lease that is not durable;
 * the client retries).
 */
static void
release(void)
{
	struct dhcp_reply *list[OUT_MAX];
	struct pending	*p;
	int		 n = 0;

	while (d.pcount > 0) {
		p = &d.pend[d.phead];
		if (p->tag > d.committed)
			break;
		if (p->tag == d.committed && !d.committed_ok)
			d.io.commit_failures++;
		else
			list[n++] = &p->r;
		d.phead = (d.phead + 1) % PEND_MAX;
		d.pcount--;
		if (n == OUT_MAX) {
			send_replies(list, n);
			n = 0;
		}
	}
	if (n > 0)
		send_replies(list, n);
}

/* Room to read one more message: a reply slot and room for changes. */
static int
room(void)
{
	return d.pcount < PEND_MAX && writer_open_room(d.w) >= CHANGES_MAX;
}

/*
 * Hands the open batch to the writer once it is worth an fsync: GROUP_MS
 * after its first change, or when it has GROUP_FULL changes. On a quiet
 * LAN a lone client waits GROUP_MS more; in a burst, hundreds of clients
 * share each fsync and the disk (and the CPUs) are not swamped.
 */
static void
group_submit(void)
{
	struct timeval	tv = { 0, 0 };
	struct timespec	ts;
	int64_t		us;

	if (writer_open_count(d.w) == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (d.group_since == 0)
		d.group_since = us;
	if (writer_busy(d.w))
		return;		/* writer_done() calls again */
	if (us - d.group_since < GROUP_MS * 1000 &&
	    writer_open_count(d.w) < GROUP_FULL) {
		/* The rest of the window, on a timer (if none runs). */
		if (!evtimer_pending(d.ev_group, NULL)) {
			tv.tv_usec = (suseconds_t)(GROUP_MS * 1000 -
			    (us - d.group_since));
			evtimer_add(d.ev_group, &tv);
		}
		return;
	}
	writer_submit(d.w);
	d.group_since = 0;
	evtimer_del(d.ev_group);
}

static void
group_timer(evutil_socket_t fd, short ev, void *arg)
{
	group_submit();
}

/* The writer finished a batch: its replies go, the next batch starts. */
static void
writer_done(int wait)
{
	char		 err[256];
	uint64_t	 seq;
	int		 ok;

	if (writer_result(d.w, wait, &seq, &ok, err, sizeof(err)) != 1)
		return;
	if (!ok)
		log_warnx("lease database: %s; the replies of commit %"
		    PRIu64 " are withheld (the clients retry)", err, seq);
	d.committed = seq;
	d.committed_ok = ok;
	release();
	group_submit();
	/* Not read from here (this may run inside a reload or a gkctl
	 * command): the event loop sees the waiting messages. */
	if (d.reading_paused && room()) {
		d.reading_paused = 0;
		if (event_add(d.ev_udp, NULL) == -1)
			fatalx("cannot watch the DHCP socket");
	}
}

static void
writer_ready(evutil_socket_t fd, short ev, void *arg)
{
	writer_done(0);
}

/* Sends what may go now and hands the changes made so far to the writer. */
static void
flush_batch(void)
{
	release();
	group_submit();
}

/* Everything decided so far committed: before using the store directly. */
static void
writer_drain(void)
{
	while (writer_busy(d.w) || writer_open_count(d.w) > 0) {
		writer_submit(d.w);
		d.group_since = 0;
		evtimer_del(d.ev_group);
		writer_done(1);
	}
}

/* ------------------------------------------------------------ probes */

static void
probe_send(uint32_t ip)
{
	struct sockaddr_ll sll;
	uint8_t		 arp[ARP_LEN];

	arp_build_request(arp, d.conf.mac, d.conf.server, ip);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = d.lan_ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (sendto(FD_DHCPD_PACKET, arp, sizeof(arp), 0,
	    (struct sockaddr *)&sll, sizeof(sll)) == -1)
		d.io.send_errors++;
}

static void	handle_one(const uint8_t *, size_t, const struct dhcp_rx *);

/* The probe of p's address ended: decide again on the held DISCOVER. */
static void
probe_finish(struct probe *p, int conflict)
{
	struct dhcp_rx	 rx = p->rx;

	evtimer_del(p->timer);
	p->active = 0;
	if (d.srv == NULL)
		return;
	rx.now = now_unix();
	rx.retry = 1;
	dhcp_probe_done(d.srv, p->ip, conflict, rx.now);
	handle_one(p->pkt, p->len, &rx);
	flush_batch();
}

static void
probe_timeout(evutil_socket_t fd, short ev, void *arg)
{
	probe_finish(arg, 0);
}

static void
probe_start(uint32_t ip, const uint8_t *pkt, size_t len,
    const struct dhcp_rx *rx)
{
	struct timeval	 tv = { 0, PROBE_WAIT_MS * 1000 };
	struct probe	*p = NULL;
	int		 i;

	for (i = 0; i < MAX_PROBES && p == NULL; i++)
		if (!d.probes[i].active)
			p = &d.probes[i];
	if (p == NULL || len > sizeof(p->pkt)) {
		d.io.probe_busy++;
		return;
	}
	p->active = 1;
	p->ip = ip;
	p->rx = *rx;
	p->len = len;
	memcpy(p->pkt, pkt, len);
	probe_send(ip);
	evtimer_add(p->timer, &tv);
}

/*
 * The conflict check ahead of demand (dhcp_probe_ahead()): ARP requests
 * for the addresses the next DISCOVERs will get, sent in bursts of one
 * sendmmsg, each given PROBE_WAIT_MS for an answer. A DISCOVER then takes
 * a checked address at once and waits for nothing; only when demand
 * outruns the reserve does it wait for a probe of its own (probe_start).
 */
static void
ahead_arm(int fast)
{
	struct timeval	tv;

	if (fast && d.ahead_fast && evtimer_pending(d.ev_ahead, NULL))
		return;		/* already due soon: do not postpone it */
	d.ahead_fast = fast;
	tv.tv_sec = 0;
	tv.tv_usec = (fast ? AHEAD_FAST_MS : AHEAD_IDLE_MS) * 1000;
	if (!fast) {
		tv.tv_sec = AHEAD_IDLE_MS / 1000;
		tv.tv_usec = 0;
	}
	evtimer_add(d.ev_ahead, &tv);
}

/* Sends probes for what dhcp_probe_ahead() asks; 1 if it sent any. */
static int
ahead_send(int64_t unix_now, int64_t ms)
{
	static uint8_t		 arp[AHEAD_BURST][ARP_LEN];
	static struct mmsghdr	 mm[AHEAD_BURST];
	static struct iovec	 iov[AHEAD_BURST];
	static struct sockaddr_ll sll;
	uint32_t		 ip, t;
	int			 n = 0, i, k;

	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = d.lan_ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	while (n < AHEAD_BURST && d.ahead_count < AHEAD_MAX &&
	    dhcp_probe_ahead(d.srv, unix_now, &ip) == 0) {
		t = (d.ahead_head + d.ahead_count) % AHEAD_MAX;
		d.ahead[t].ip = ip;
		d.ahead[t].due = ms + PROBE_WAIT_MS;
		d.ahead_count++;
		arp_build_request(arp[n], d.conf.mac, d.conf.server, ip);
		iov[n].iov_base = arp[n];
		iov[n].iov_len = ARP_LEN;
		memset(&mm[n], 0, sizeof(mm[n]));
		mm[n].msg_hdr.msg_name = &sll;
		mm[n].msg_hdr.msg_namelen = sizeof(sll);
		mm[n].msg_hdr.msg_iov = &iov[n];
		mm[n].msg_hdr.msg_iovlen = 1;
		n++;
	}
	d.io.probes_ahead += (uint64_t)n;
	for (i = 0; i < n; i += k)
		if ((k = sendmmsg(FD_DHCPD_PACKET, mm + i, (unsigned)(n - i),
		    0)) <= 0) {
			/* Unsent: no answer will come; the timeout lets the
			 * address pass, as a silent LAN would. Counted. */
			d.io.send_errors += (uint64_t)(n - i);
			break;
		}
	return n > 0;
}

/* Probes whose time is up without an answer: the addresses are free. */
static void
ahead_expire(int64_t unix_now, int64_t ms)
{
	while (d.ahead_count > 0 && d.ahead[d.ahead_head].due <= ms) {
		dhcp_probe_done(d.srv, d.ahead[d.ahead_head].ip, 0, unix_now);
		d.ahead_head = (d.ahead_head + 1) % AHEAD_MAX;
		d.ahead_count--;
	}
}

static void
ahead_run(void)
{
	int64_t	u = now_unix(), ms = (int64_t)mono_ms();
	int	sent;

	if (d.srv == NULL)
		return;
	ahead_expire(u, ms);
	sent = ahead_send(u, ms);
	ahead_arm(sent || d.ahead_count > 0);
}

static void
ahead_timer(evutil_socket_t fd, short ev, void *arg)
{
	ahead_run();
}

static void
arp_read(evutil_socket_t fd, short ev, void *arg)
{
	uint8_t		 buf[256], mac[6];
	uint32_t	 sip;
	ssize_t		 n;
	int		 i, k;

	/* ARP is light; read what is there, bounded per wakeup. */
	for (k = 0; k < 64; k++) {
		if ((n = recv(FD_DHCPD_PACKET, buf, sizeof(buf),
		    MSG_DONTWAIT)) == -1)
			break;
		d.io.arp_seen++;
		if (arp_parse_sender(buf, (size_t)n, &sip, mac) == -1 ||
		    sip == 0)
			continue;
		for (i = 0; i < MAX_PROBES; i++)
			if (d.probes[i].active && d.probes[i].ip == sip)
				probe_finish(&d.probes[i], 1);
		/* A probe ahead of demand: ignored unless one runs for sip. */
		if (d.srv != NULL)
			dhcp_probe_done(d.srv, sip, 1, now_unix());
	}
	if (d.srv != NULL)
		flush_batch();		/* conflicts set aside, to the writer */
}

/* ------------------------------------------------------------ receiving */

static void
handle_one(const uint8_t *pkt, size_t len, const struct dhcp_rx *rx)
{
	struct pending	*p = &d.pend[(d.phead + d.pcount) % PEND_MAX];

	if (d.pcount == PEND_MAX)	/* room() was checked: cannot be */
		return;
	switch (dhcp_handle(d.srv, pkt, len, rx, &p->r)) {
	case DHCP_R_REPLY:
		/* It may go once every change made so far is durable. */
		p->tag = writer_open_seq(d.w);
		if (writer_open_count(d.w) == 0)
			p->tag--;
		d.pcount++;
		break;
	case DHCP_R_PROBE:
		probe_start(p->r.ip, pkt, len, rx);
		break;
	default:
		break;
	}
}

/* One recvmmsg, each message decided; how many were read. */
static int
udp_read_some(void)
{
	static uint8_t		 bufs[BATCH][RXBUF];
	static struct mmsghdr	 mm[BATCH];
	static struct iovec	 iov[BATCH];
	static struct sockaddr_in from[BATCH];
	static union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(struct in_pktinfo))];
	} ctl[BATCH];
	struct in_pktinfo	 pi;
	struct cmsghdr		*cm;
	struct dhcp_rx		 rx;
	uint32_t		 bcast;
	size_t			 max;
	int			 i, n;

	/* No more than there is room for until the writer catches up. */
	max = PEND_MAX - d.pcount;
	if (max > writer_open_room(d.w) / CHANGES_MAX)
		max = writer_open_room(d.w) / CHANGES_MAX;
	if (max > BATCH)
		max = BATCH;
	if (max == 0)
		return 0;
	for (i = 0; i < (int)max; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&mm[i].msg_hdr, 0, sizeof(mm[i].msg_hdr));
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_control = ctl[i].b;
		mm[i].msg_hdr.msg_controllen = sizeof(ctl[i].b);
	}
	if ((n = recvmmsg(FD_DHCPD_UDP, mm, (unsigned)max, MSG_DONTWAIT,
	    NULL)) <= 0) {
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			d.io.recv_errors++;
		return 0;
	}
	bcast = d.conf.server | htonl(0xffffffffU >> d.conf.prefix);
	rx.now = now_unix();
	rx.retry = 0;
	for (i = 0; i < n; i++) {
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			d.io.truncated++;
			continue;
		}
		rx.src = from[i].sin_addr.s_addr;
		rx.broadcast = 0;
		for (cm = CMSG_FIRSTHDR(&mm[i].msg_hdr); cm != NULL;
		    cm = CMSG_NXTHDR(&mm[i].msg_hdr, cm)) {
			if (cm->cmsg_level != IPPROTO_IP ||
			    cm->cmsg_type != IP_PKTINFO)
				continue;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			rx.broadcast = pi.ipi_addr.s_addr == INADDR_BROADCAST ||
			    pi.ipi_addr.s_addr == bcast;
		}
		handle_one(bufs[i], mm[i].msg_len, &rx);
	}
	d.io.batched += (uint64_t)n;
	return n;
}

/*
 * Reads what the kernel holds (a few rounds, so that ARP and the writer
 * get their turn), then hands the changes to the writer. When the queue
 * of waiting replies is full, reading stops until a commit frees it: the
 * kernel holds the rest.
 */
static void
udp_read(evutil_socket_t fd, short ev, void *arg)
{
	int	rounds = 0;

	while (udp_read_some() == BATCH && ++rounds < 8)
		;
	flush_batch();
	if (!room() && !d.reading_paused) {
		d.reading_paused = 1;
		d.io.paused++;
		event_del(d.ev_udp);
	}
	/* Addresses handed out: keep the reserve of probed ones full. */
	if (d.conf.probe && !d.ahead_fast)
		ahead_run();
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	if (d.srv != NULL) {
		dhcp_tick(d.srv, now_unix());
		flush_batch();		/* expiries, to the writer */
	}
}

/* ------------------------------------------------------------ config */

static void
load_lease(const struct dhcp_lease *e, void *arg)
{
	int	*bad = arg;

	if (dhcp_lease_load(d.srv, e) == -1)
		(*bad)++;
}

static void
load_resv(const uint8_t mac[6], uint32_t ip, const char *name, void *arg)
{
	char	err[256], m[18];

	if (dhcp_resv_add(d.srv, mac, ip, name, 0, err, sizeof(err)) == -1) {
		mac_str(mac, m, sizeof(m));
		log_warnx("reservation of %s from gkctl ignored: %s", m, err);
	}
}

static void
conf_from_msg(const struct msg_config *mc, struct dhcp_conf *c)
{
	const struct conf_route *r;
	int		 i;

	memset(c, 0, sizeof(*c));
	c->server = mc->conf.lan_addr.s_addr;
	c->prefix = mc->conf.lan_prefix;
	c->start = mc->conf.dhcp_start.s_addr;
	c->end = mc->conf.dhcp_end.s_addr;
	c->lease_time = mc->conf.lease_time ? mc->conf.lease_time : 43200;
	strlcpy(c->domain, mc->conf.domain[0] ? mc->conf.domain : "lan",
	    sizeof(c->domain));
	memcpy(c->mac, mc->lan_mac, 6);
	c->mtu = mc->conf.dhcp_mtu;
	for (i = 0; i < mc->conf.ndhcp_ntp && i < DHCP_MAX_NTP; i++)
		c->ntp[c->nntp++] = mc->conf.dhcp_ntp[i].s_addr;
	for (i = 0; i < mc->conf.ndhcp_route && i < DHCP_MAX_ROUTES; i++) {
		r = &mc->conf.dhcp_route[i];
		c->routes[c->nroutes].dst = r->net.s_addr;
		c->routes[c->nroutes].plen = (uint8_t)r->prefix;
		c->routes[c->nroutes].gw = r->gw.s_addr;
		c->nroutes++;
	}
	c->probe = mc->conf.dhcp_conflict_check;
}

/* Builds a server for the new configuration, then swaps it in. */
static int
rebuild(const struct dhcp_conf *c, const struct msg_config *mc)
{
	struct dhcp_server *old = d.srv, *s;
	const struct conf_static_lease *sl;
	char		 err[256], m[18], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int		 i, bad = 0, n;

	if ((s = dhcp_server_new(c, &server_ops, err, sizeof(err))) == NULL) {
		log_warnx("cannot serve this configuration: %s", err);
		return -1;
	}
	d.srv = s;
	for (i = 0; i < mc->conf.nstatic; i++) {
		sl = &mc->conf.static_lease[i];
		if (dhcp_resv_add(s, sl->mac, sl->ip.s_addr, sl->name, 1, err,
		    sizeof(err)) == -1) {
			mac_str(sl->mac, m, sizeof(m));
			log_warnx("static-lease %s ignored: %s", m, err);
		}
	}
	writer_drain();		/* the table is read back from the store */
	if (store_load_resv(d.store, load_resv, NULL) == -1 ||
	    (n = store_load_leases(d.store, load_lease, &bad)) == -1) {
		log_warnx("lease database: %s", store_error(d.store));
		dhcp_server_free(s);
		d.srv = old;
		return -1;
	}
	if (bad > 0)
		log_info("%d stored leases do not fit this LAN and are "
		    "ignored", bad);
	dhcp_server_free(old);
	/* The old server's probes in flight mean nothing to the new one. */
	d.ahead_head = d.ahead_count = 0;
	log_info("serving %s-%s on %s: %d leases, %d reservations, lease "
	    "time %us", ntoa(c->start, a, sizeof(a)), ntoa(c->end, b,
	    sizeof(b)), d.lan_ifname, n - bad, dhcp_resv_count(s),
	    c->lease_time);
	return 0;
}

static void
dhcpd_config(const struct msg_config *mc, void *arg)
{
	struct dhcp_conf c;

	d.generation = mc->generation;
	strlcpy(d.lan_ifname, mc->lan_ifname, sizeof(d.lan_ifname));
	/* No socket(2) in the sandbox for if_nametoindex(): the packet
	 * socket is bound to the LAN and knows its index. */
	if (d.lan_ifindex == 0) {
		struct sockaddr_ll sll;
		socklen_t	 sl = sizeof(sll);

		if (getsockname(FD_DHCPD_PACKET, (struct sockaddr *)&sll,
		    &sl) == -1)
			fatal("packet socket");
		d.lan_ifindex = sll.sll_ifindex;
	}
	conf_from_msg(mc, &c);
	/* The writer thread starts here, inside the sandbox like the rest
	 * of dhcpd (seccomp filters are per thread). */
	if (d.w == NULL) {
		char	err[256];

		if ((d.w = writer_new(d.store, DB_PATH, err, sizeof(err))) == NULL)
			fatalx("lease writer: %s", err);
		d.ev_writer = event_new(d.base, writer_fd(d.w),
		    EV_READ | EV_PERSIST, writer_ready, NULL);
		d.ev_group = evtimer_new(d.base, group_timer, NULL);
		if (d.ev_writer == NULL || d.ev_group == NULL ||
		    event_add(d.ev_writer, NULL) == -1)
			fatalx("cannot watch the lease writer");
	}
	if (d.srv != NULL && memcmp(&c, &d.conf, sizeof(c)) == 0 &&
	    mc->conf.nstatic == d.nstatic && memcmp(mc->conf.static_lease,
	    d.statics, sizeof(d.statics[0]) * (size_t)d.nstatic) == 0) {
		log_debug("configuration %u: nothing changed for DHCP",
		    mc->generation);
		return;
	}
	if (rebuild(&c, mc) == -1)
		return;
	d.conf = c;
	d.nstatic = mc->conf.nstatic;
	memcpy(d.statics, mc->conf.static_lease,
	    sizeof(d.statics[0]) * (size_t)d.nstatic);
	sync_names();
	ahead_run();
	if (!d.serving) {
		d.serving = 1;
		/* Requests that waited in the kernel are served now. */
		if (event_add(d.ev_udp, NULL) == -1 ||
		    event_add(d.ev_arp, NULL) == -1)
			fatalx("cannot watch the DHCP sockets");
		udp_read(FD_DHCPD_UDP, EV_READ, NULL);
	}
}

/* ------------------------------------------------------------ status */

static void
dhcpd_status(json_t *detail, void *arg)
{
	const struct dhcp_stats *st;
	json_t		*rx, *drop, *o;
	int		 i;

	if (d.srv == NULL) {
		json_object_set_new(detail, "service",
		    json_string("waiting for the configuration"));
		return;
	}
	st = dhcp_server_stats(d.srv);
	json_object_set_new(detail, "service", json_string("serving"));
	json_object_set_new(detail, "interface", json_string(d.lan_ifname));
	o = json_object();
	json_object_set_new(o, "size", json_integer(dhcp_pool_size(d.srv)));
	json_object_set_new(o, "never_used",
	    json_integer(dhcp_pool_unused(d.srv)));
	json_object_set_new(o, "leases", json_integer(dhcp_lease_count(d.srv)));
	json_object_set_new(o, "reservations",
	    json_integer(dhcp_resv_count(d.srv)));
	json_object_set_new(detail, "pool", o);
	rx = json_object();
	for (i = DHCPDISCOVER; i <= DHCPINFORM; i++)
		if (i != DHCPOFFER && i != DHCPACK && i != DHCPNAK)
			json_object_set_new(rx, dhcp_type_name(i),
			    json_integer((json_int_t)st->rx[i]));
	json_object_set_new(detail, "received", rx);
	o = json_object();
	json_object_set_new(o, "offers", json_integer((json_int_t)st->offers));
	json_object_set_new(o, "acks", json_integer((json_int_t)st->acks));
	json_object_set_new(o, "naks", json_integer((json_int_t)st->naks));
	json_object_set_new(detail, "sent", o);
	drop = json_object();
	for (i = DHCP_ERR_SHORT; i < DHCP_ERR_MAX; i++)
		json_object_set_new(drop, dhcp_err_name(i),
		    json_integer((json_int_t)st->drop[i]));
	json_object_set_new(drop, "no_address",
	    json_integer((json_int_t)st->drop_no_address));
	json_object_set_new(drop, "truncated",
	    json_integer((json_int_t)d.io.truncated));
	json_object_set_new(drop, "probe_busy",
	    json_integer((json_int_t)d.io.probe_busy));
	json_object_set_new(drop, "not_durable",
	    json_integer((json_int_t)d.io.commit_failures));
	json_object_set_new(detail, "dropped", drop);
	o = json_object();
	json_object_set_new(o, "other_server",
	    json_integer((json_int_t)st->other_server));
	json_object_set_new(o, "unknown_client",
	    json_integer((json_int_t)st->unknown_client));
	json_object_set_new(o, "release_unknown",
	    json_integer((json_int_t)st->release_unknown));
	json_object_set_new(o, "pool_full",
	    json_integer((json_int_t)st->pool_full));
	json_object_set_new(detail, "silent", o);
	o = json_object();
	json_object_set_new(o, "probes", json_integer((json_int_t)st->probes));
	json_object_set_new(o, "conflicts",
	    json_integer((json_int_t)st->conflicts));
	json_object_set_new(o, "declines",
	    json_integer((json_int_t)st->declines));
	json_object_set_new(o, "arp_seen",
	    json_integer((json_int_t)d.io.arp_seen));
	json_object_set_new(o, "probes_ahead",
	    json_integer((json_int_t)d.io.probes_ahead));
	json_object_set_new(o, "ready",
	    json_integer((json_int_t)dhcp_probe_ready(d.srv)));
	json_object_set_new(detail, "conflicts", o);
	o = json_object();
	json_object_set_new(o, "commits",
	    json_integer((json_int_t)writer_commits(d.w)));
	json_object_set_new(o, "changes",
	    json_integer((json_int_t)writer_changes(d.w)));
	json_object_set_new(o, "messages",
	    json_integer((json_int_t)d.io.batched));
	json_object_set_new(o, "background_checkpoints",
	    json_boolean(writer_checkpointing(d.w)));
	json_object_set_new(o, "longest_commit_ms",
	    json_integer((json_int_t)(writer_max_us(d.w) / 1000)));
	json_object_set_new(o, "waiting_replies",
	    json_integer((json_int_t)d.pcount));
	json_object_set_new(o, "reading_paused",
	    json_integer((json_int_t)d.io.paused));
	json_object_set_new(detail, "batches", o);
	json_object_set_new(detail, "recv_errors",
	    json_integer((json_int_t)d.io.recv_errors));
	json_object_set_new(detail, "send_errors",
	    json_integer((json_int_t)d.io.send_errors));
	json_object_set_new(detail, "names_unsent",
	    json_integer((json_int_t)d.io.names_unsent));
	json_object_set_new(detail, "dnsd_channel",
	    json_boolean(d.dnsd != NULL));
}

/* ------------------------------------------------------------ gkctl */

struct collect {
	json_t		*array;
	int64_t		 now;
	int		 clients;	/* "clients" rather than "leases" */
};

static json_t *
lease_json(const struct dhcp_lease *e, const struct collect *c)
{
	char		 a[INET_ADDRSTRLEN], m[18];
	const struct dhcp_resv *r;
	int		 is_static;

	mac_str(e->mac, m, sizeof(m));
	r = dhcp_resv_by_ip(d.srv, e->ip);
	is_static = r != NULL && memcmp(r->mac, e->mac, 6) == 0;
	if (c->clients)
		return json_pack("{s:s, s:s, s:s, s:I, s:b, s:I, s:I}",
		    "ip", ntoa(e->ip, a, sizeof(a)), "mac", m,
		    "hostname", e->hostname, "lease_expires",
		    (json_int_t)e->expires, "static", is_static,
		    "first_seen", (json_int_t)e->first_seen,
		    "last_seen", (json_int_t)e->last_seen);
	return json_pack("{s:s, s:s, s:s, s:I, s:b, s:s}",
	    "ip", ntoa(e->ip, a, sizeof(a)), "mac", m,
	    "hostname", e->hostname, "expires", (json_int_t)e->expires,
	    "static", is_static, "state", dhcp_lease_state(e, c->now));
}

static void
collect_lease(const struct dhcp_lease *e, void *arg)
{
	struct collect	*c = arg;
	json_t		*o;

	/* A client is an entry somebody holds a claim on; a lease list
	 * also shows addresses set aside (declined, in conflict). */
	if (c->clients ? e->keylen == 0 || e->first_seen == 0 :
	    e->keylen == 0 && strcmp(dhcp_lease_state(e, c->now), "free") == 0)
		return;
	if ((o = lease_json(e, c)) != NULL)
		json_array_append_new(c->array, o);
}

static int
by_ip(const void *a, const void *b)
{
	const char	*x, *y;
	struct in_addr	 p, q;

	x = json_string_value(json_object_get(*(json_t *const *)a, "ip"));
	y = json_string_value(json_object_get(*(json_t *const *)b, "ip"));
	if (x == NULL || y == NULL || inet_pton(AF_INET, x, &p) != 1 ||
	    inet_pton(AF_INET, y, &q) != 1)
		return 0;
	return ntohl(p.s_addr) < ntohl(q.s_addr) ? -1 :
	    ntohl(p.s_addr) > ntohl(q.s_addr);
}

static json_t *
sorted(json_t *array)
{
	json_t		**v, *out;
	size_t		 i, n = json_array_size(array);

	if (n < 2 || (v = calloc(n, sizeof(*v))) == NULL)
		return array;
	for (i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(array, i));
	qsort(v, n, sizeof(*v), by_ip);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, v[i]);
	free(v);
	json_decref(array);
	return out;
}

struct taken {
	const struct dhcp_resv	 *r;
	const struct dhcp_lease	**e;
};

/* Is the reservation's address held by its owner in the table? */
static void
find_taken(const struct dhcp_lease *e, void *arg)
{
	struct taken	*t = arg;

	if (e->ip == t->r->ip && e->keylen != 0 &&
	    memcmp(e->mac, t->r->mac, 6) == 0)
		*t->e = e;
}

static json_t *
ctl_leases(int clients)
{
	struct collect	 c = { json_array(), now_unix(), clients };
	const struct dhcp_resv *r;
	const struct dhcp_lease *e;
	char		 a[INET_ADDRSTRLEN], m[18];
	int		 i;

	dhcp_foreach_lease(d.srv, collect_lease, &c);
	/* Reservations nobody has taken yet are listed as leases too. */
	for (i = 0; !clients && i < dhcp_resv_count(d.srv); i++) {
		r = dhcp_resv_get(d.srv, i);
		e = NULL;
		dhcp_foreach_lease(d.srv, find_taken, &(struct taken){ r, &e });
		if (e != NULL)
			continue;
		mac_str(r->mac, m, sizeof(m));
		json_array_append_new(c.array, json_pack("{s:s, s:s, s:s, "
		    "s:I, s:b, s:s}", "ip", ntoa(r->ip, a, sizeof(a)),
		    "mac", m, "hostname", r->name, "expires", (json_int_t)0,
		    "static", 1, "state", "reserved"));
	}
	return json_pack("{s:o}", clients ? "clients" : "leases",
	    sorted(c.array));
}

/* The reservation commands write the store from this thread. */
static int
ctl_ready(char *err, size_t errlen)
{
	if (d.srv == NULL) {
		snprintf(err, errlen, "dhcpd has no configuration yet");
		return 0;
	}
	writer_drain();
	return 1;
}

static json_t *
ctl_cmd_leases(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_ready(err, errlen) ? ctl_leases(0) : NULL;
}

static json_t *
ctl_cmd_clients(const struct ctl_call *call, char *err, size_t errlen)
{
	return ctl_ready(err, errlen) ? ctl_leases(1) : NULL;
}

/* lease add MAC IP [NAME] */
static json_t *
ctl_lease_add(const struct ctl_call *call, char *err, size_t errlen)
{
	const char	*name = call->argc > 2 ? call->argv[2] : "";
	uint8_t		 mac[6];
	struct in_addr	 ip;
	char		 m[18];

	if (!ctl_ready(err, errlen))
		return NULL;
	if (conf_parse_mac(call->argv[0], mac) == -1 ||
	    inet_pton(AF_INET, call->argv[1], &ip) != 1) {
		snprintf(err, errlen, "usage: lease add MAC IP [NAME]");
		return NULL;
	}
	if (dhcp_resv_add(d.srv, mac, ip.s_addr, name, 0, err, errlen) == -1)
		return NULL;
	if (store_begin(d.store) == -1 ||
	    store_put_resv(d.store, mac, ip.s_addr, name) == -1 ||
	    store_commit(d.store) == -1) {
		snprintf(err, errlen, "lease database: %s",
		    store_error(d.store));
		store_rollback(d.store);
		(void)dhcp_resv_del(d.srv, mac, m, sizeof(m));
		return NULL;
	}
	mac_str(mac, m, sizeof(m));
	log_info("reservation %s -> %s%s%s added by gkctl", m,
	    call->argv[1], name[0] ? " " : "", name);
	return json_pack("{s:{s:s, s:s, s:s}}", "reserved", "mac", m,
	    "ip", call->argv[1], "hostname", name);
}

/* lease del MAC */
static json_t *
ctl_lease_del(const struct ctl_call *call, char *err, size_t errlen)
{
	uint8_t		 mac[6];
	char		 m[18];

	if (!ctl_ready(err, errlen))
		return NULL;
	if (conf_parse_mac(call->argv[0], mac) == -1) {
		snprintf(err, errlen, "usage: lease del MAC");
		return NULL;
	}
	if (dhcp_resv_del(d.srv, mac, err, errlen) == -1)
		return NULL;
	if (store_begin(d.store) == -1 ||
	    store_del_resv(d.store, mac) == -1 ||
	    store_commit(d.store) == -1) {
		snprintf(err, errlen, "lease database: %s",
		    store_error(d.store));
		store_rollback(d.store);
		return NULL;
	}
	mac_str(mac, m, sizeof(m));
	log_info("reservation of %s deleted by gkctl", m);
	return json_pack("{s:{s:s}}", "deleted", "mac", m);
}

static const struct ctl_handler dhcpd_handlers[] = {
	{ CMD_LEASES, ctl_cmd_leases },
	{ CMD_CLIENTS, ctl_cmd_clients },
	{ CMD_LEASE_ADD, ctl_lease_add },
	{ CMD_LEASE_DEL, ctl_lease_del },
};

/* ------------------------------------------------------------ start */

static void
dhcpd_init(struct event_base *base, void *arg)
{
	struct timeval	 tv = { TICK_SECS, 0 };
	char		 err[512];
	int		 i, rcvbuf = RCVBUF_BYTES;

	d.base = base;
	d.committed_ok = 1;	/* batch 0: nothing, durably */
	/* Room for a burst of clients while this process waits for a CPU
	 * (up to net.core.rmem_max; the default holds ~100 requests). */
	if (setsockopt(FD_DHCPD_UDP, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		log_warn("DHCP socket receive buffer");
	/* Chrooted in the state dir: the database is at its root. */
	if ((d.store = store_open(DB_PATH, err, sizeof(err))) == NULL)
		fatalx("lease database: %s", err);
	d.ev_udp = event_new(base, FD_DHCPD_UDP, EV_READ | EV_PERSIST,
	    udp_read, NULL);
	d.ev_arp = event_new(base, FD_DHCPD_PACKET, EV_READ | EV_PERSIST,
	    arp_read, NULL);
	d.ev_tick = event_new(base, -1, EV_PERSIST, tick, NULL);
	d.ev_ahead = evtimer_new(base, ahead_timer, NULL);
	if (d.ev_udp == NULL || d.ev_arp == NULL || d.ev_tick == NULL ||
	    d.ev_ahead == NULL ||
	    event_add(d.ev_tick, &tv) == -1)
		fatalx("cannot set up events");
	for (i = 0; i < MAX_PROBES; i++)
		if ((d.probes[i].timer = evtimer_new(base, probe_timeout,
		    &d.probes[i])) == NULL)
			fatalx("cannot set up probe timers");
	d.dnsd = proto_chan_new(base, FD_DHCPD_DNSD, PEER_DHCPD, PEER_DNSD,
	    dnsd_msg, dnsd_closed, NULL);
	if (d.dnsd == NULL)
		fatal("dnsd channel");
}

int
main(int argc, char **argv)
{
	static const struct child_spec spec = {
		.peer = PEER_DHCPD,
		.init = dhcpd_init,
		.status = dhcpd_status,
		.config = dhcpd_config,
		.handlers = dhcpd_handlers,
		.nhandlers = sizeof(dhcpd_handlers) / sizeof(dhcpd_handlers[0]),
	};

	child_main(argc, argv, &spec);
}
