/*
 * dhcpd: the DHCPv4 server of the LAN. This file is the I/O: the sockets
 * the parent opened (the frame socket the requests are read from, with
 * their Ethernet source; UDP *:67 on the LAN, which only sends; the
 * packet socket for replies to clients without an address and for ARP
 * probes; the channel to dnsd), the lease database. Its status and
 * gkctl's commands are in ctl.c, over the state in dhcpd.h. Every
 * decision is made in server.c; this file reads frames in batches and
 * lets the server decide; the lease changes go to the writer thread
 * (writer.c), which commits them in groups while this thread goes on
 * serving, and each reply waits until the group holding its changes is
 * committed: no ACK leaves before its lease is durable, a burst of
 * clients shares one fsync, and no client waits on the disk for another.
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
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "chan.h"
#include "child.h"
#include "dhcpd.h"
#include "log.h"
#include "server.h"
#include "store.h"
#include "util.h"
#include "wire.h"
#include "writer.h"

#define DB_PATH		"leases.db"	/* in the state dir: the working directory */
#define BATCH		64		/* messages per receive */
#define OUT_MAX		(BATCH * 4)	/* replies per sendmmsg round */
#define CHANGES_MAX	4		/* lease changes one message makes */
#define GROUP_MS	4		/* a commit waits this for company */
#define GROUP_FULL	512		/* ... unless it has this many changes */
#define PROBE_WAIT_MS	100
#define AHEAD_BURST	128		/* ARP requests per sendmmsg */
#define AHEAD_FAST_MS	10		/* probing: timer period */
#define AHEAD_IDLE_MS	1000		/* all probed: timer period */
#define TICK_SECS	5

struct dhcpd	 dhcpd;

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

	if (dhcpd.dnsd == NULL) {
		dhcpd.io.names_unsent++;
		return;
	}
	memset(&h, 0, sizeof(h));
	h.ip.s_addr = e->ip;
	h.expiry = e->expires > 0 ? (uint32_t)e->expires : 0;
	strlcpy(h.name, e->hostname, sizeof(h.name));
	if (proto_chan_send(dhcpd.dnsd, type, &h, sizeof(h), -1) == -1)
		dhcpd.io.names_unsent++;
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
	if (dhcpd.srv != NULL)
		dhcp_foreach_name(dhcpd.srv, name_add, NULL);
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
	dhcpd.dnsd = NULL;
}

/* ------------------------------------------------------------ leases */

/* To the writer's open batch; a change that does not fit fails it. */
static void
persist(const struct dhcp_lease *e, void *arg)
{
	(void)writer_add(dhcpd.w, e);
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
			    dhcpd.conf.server, htons(67), r->ip, htons(68),
			    r->buf, r->len);
			if (flen == 0)
				continue;
			memset(&pll[np], 0, sizeof(pll[np]));
			pll[np].sll_family = AF_PACKET;
			pll[np].sll_protocol = htons(ETH_P_IP);
			pll[np].sll_ifindex = dhcpd.lan_ifindex;
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
		pi.ipi_spec_dst.s_addr = dhcpd.conf.server;
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
		nu++;
	}
	for (i = 0; i < nu; i += n) {
		if ((n = sendmmsg(FD_DHCPD_UDP, um + i, (unsigned)(nu - i),
		    0)) <= 0) {
			dhcpd.io.send_errors += (uint64_t)(nu - i);
			break;
		}
	}
	for (i = 0; i < np; i += n) {
		if ((n = sendmmsg(FD_DHCPD_PACKET, pm + i, (unsigned)(np - i),
		    0)) <= 0) {
			dhcpd.io.send_errors += (uint64_t)(np - i);
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

	while (dhcpd.pcount > 0) {
		p = &dhcpd.pend[dhcpd.phead];
		if (p->tag > dhcpd.committed)
			break;
		if (p->tag == dhcpd.committed && !dhcpd.committed_ok)
			dhcpd.io.commit_failures++;
		else
			list[n++] = &p->r;
		dhcpd.phead = (dhcpd.phead + 1) % PEND_MAX;
		dhcpd.pcount--;
		if (n == OUT_MAX) {
			send_replies(list, n);
			n = 0;
		}
	}
	if (n > 0)
		send_replies(list, n);
}

/*
 * Replies that promise nothing durable (OFFER, NAK, INFORM's ACK) do not
 * queue behind the commits: they go at the end of the receive round that
 * made them, in one sendmmsg. (They used to wait with the ACKs, so an
 * OFFER took the group window and an fsync: 3-8 ms instead of tens of
 * microseconds.) An OFFER made from a change not yet on disk (an address
 * just released) is safe: after a crash the REQUEST finds the address
 * taken and is NAKed, and the client starts over; no ACK ever leaves
 * before its lease is committed.
 */
static struct dhcp_reply at_once[BATCH];
static int		 nat_once;

static void
send_at_once(void)
{
	struct dhcp_reply *list[BATCH];
	int		 i;

	for (i = 0; i < nat_once; i++)
		list[i] = &at_once[i];
	if (nat_once > 0)
		send_replies(list, nat_once);
	nat_once = 0;
}

/* Room to read one more message: a reply slot and room for changes. */
static int
room(void)
{
	return dhcpd.pcount < PEND_MAX &&
	    writer_open_room(dhcpd.w) >= CHANGES_MAX;
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
	int64_t		us;

	if (writer_open_count(dhcpd.w) == 0)
		return;
	us = (int64_t)mono_us();
	if (dhcpd.group_since == 0)
		dhcpd.group_since = us;
	if (writer_busy(dhcpd.w))
		return;		/* writer_done() calls again */
	if (us - dhcpd.group_since < GROUP_MS * 1000 &&
	    writer_open_count(dhcpd.w) < GROUP_FULL) {
		/* The rest of the window, on a timer (if none runs). */
		if (!evtimer_pending(dhcpd.ev_group, NULL)) {
			tv.tv_usec = (suseconds_t)(GROUP_MS * 1000 -
			    (us - dhcpd.group_since));
			evtimer_add(dhcpd.ev_group, &tv);
		}
		return;
	}
	writer_submit(dhcpd.w);
	dhcpd.group_since = 0;
	evtimer_del(dhcpd.ev_group);
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
	static struct log_due failed_due;
	static uint64_t	 failed;
	char		 err[256];
	uint64_t	 seq, k;
	int		 ok;

	if (writer_result(dhcpd.w, wait, &seq, &ok, err, sizeof(err)) != 1)
		return;
	/* A full disk fails every commit: said once a minute. */
	if (!ok && (k = log_due(&failed_due, ++failed, mono_s(), 60)) > 0)
		log_warnx("lease database: %s; the ACKs of %" PRIu64 " failed "
		    "commit(s) are withheld, the clients retry "
		    "(dropped.not_durable)", err, k);
	dhcpd.committed = seq;
	dhcpd.committed_ok = ok;
	release();
	group_submit();
	/* Not read from here (this may run inside a reload or a gkctl
	 * command): the event loop sees the waiting messages. */
	if (dhcpd.reading_paused && room()) {
		dhcpd.reading_paused = 0;
		if (event_add(dhcpd.ev_rx, NULL) == -1)
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
	send_at_once();
	release();
	group_submit();
}

/* Everything decided so far committed: before using the store directly. */
void
dhcpd_drain(void)
{
	while (writer_busy(dhcpd.w) || writer_open_count(dhcpd.w) > 0) {
		writer_submit(dhcpd.w);
		dhcpd.group_since = 0;
		evtimer_del(dhcpd.ev_group);
		writer_done(1);
	}
}

/* ------------------------------------------------------------ probes */

static void
probe_send(uint32_t ip)
{
	struct sockaddr_ll sll;
	uint8_t		 arp[ARP_LEN];

	arp_build_request(arp, dhcpd.conf.mac, dhcpd.conf.server, ip);
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = dhcpd.lan_ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	if (sendto(FD_DHCPD_PACKET, arp, sizeof(arp), 0,
	    (struct sockaddr *)&sll, sizeof(sll)) == -1)
		dhcpd.io.send_errors++;
}

static void	handle_one(const uint8_t *, size_t, const struct dhcp_rx *);

/* The probe of p's address ended: decide again on the held DISCOVER. */
static void
probe_finish(struct probe *p, int conflict)
{
	struct dhcp_rx	 rx = p->rx;

	evtimer_del(p->timer);
	p->active = 0;
	if (dhcpd.srv == NULL)
		return;
	rx.now = now_unix();
	rx.retry = 1;
	dhcp_probe_done(dhcpd.srv, p->ip, conflict, rx.now);
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
		if (!dhcpd.probes[i].active)
			p = &dhcpd.probes[i];
	/* A slot's timer is made on its first use (lowest slots first):
	 * a LAN that never has many probes at once never touches the
	 * others' pages (2 KiB each). */
	if (p != NULL && p->timer == NULL)
		p->timer = evtimer_new(dhcpd.base, probe_timeout, p);
	if (p == NULL || p->timer == NULL || len > sizeof(p->pkt)) {
		/* The client asks again; the address must be free for it. */
		dhcp_probe_abandon(dhcpd.srv, ip);
		dhcpd.io.probe_busy++;
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

	if (fast && dhcpd.ahead_fast && evtimer_pending(dhcpd.ev_ahead, NULL))
		return;		/* already due soon: do not postpone it */
	dhcpd.ahead_fast = fast;
	tv.tv_sec = 0;
	tv.tv_usec = (fast ? AHEAD_FAST_MS : AHEAD_IDLE_MS) * 1000;
	if (!fast) {
		tv.tv_sec = AHEAD_IDLE_MS / 1000;
		tv.tv_usec = 0;
	}
	evtimer_add(dhcpd.ev_ahead, &tv);
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
	sll.sll_ifindex = dhcpd.lan_ifindex;
	sll.sll_halen = 6;
	memset(sll.sll_addr, 0xff, 6);
	while (n < AHEAD_BURST && dhcpd.ahead_count < AHEAD_MAX &&
	    dhcp_probe_ahead(dhcpd.srv, unix_now, &ip) == 0) {
		t = (dhcpd.ahead_head + dhcpd.ahead_count) % AHEAD_MAX;
		dhcpd.ahead[t].ip = ip;
		dhcpd.ahead[t].due = ms + PROBE_WAIT_MS;
		dhcpd.ahead_count++;
		arp_build_request(arp[n], dhcpd.conf.mac, dhcpd.conf.server,
		    ip);
		iov[n].iov_base = arp[n];
		iov[n].iov_len = ARP_LEN;
		memset(&mm[n], 0, sizeof(mm[n]));
		mm[n].msg_hdr.msg_name = &sll;
		mm[n].msg_hdr.msg_namelen = sizeof(sll);
		mm[n].msg_hdr.msg_iov = &iov[n];
		mm[n].msg_hdr.msg_iovlen = 1;
		n++;
	}
	dhcpd.io.probes_ahead += (uint64_t)n;
	for (i = 0; i < n; i += k)
		if ((k = sendmmsg(FD_DHCPD_PACKET, mm + i, (unsigned)(n - i),
		    0)) <= 0) {
			/* Unsent: no answer will come; the timeout lets the
			 * address pass, as a silent LAN would. Counted. */
			dhcpd.io.send_errors += (uint64_t)(n - i);
			break;
		}
	return n > 0;
}

/* Probes whose time is up without an answer: the addresses are free. */
static void
ahead_expire(int64_t unix_now, int64_t ms)
{
	while (dhcpd.ahead_count > 0 &&
	    dhcpd.ahead[dhcpd.ahead_head].due <= ms) {
		dhcp_probe_done(dhcpd.srv, dhcpd.ahead[dhcpd.ahead_head].ip, 0,
		    unix_now);
		dhcpd.ahead_head = (dhcpd.ahead_head + 1) % AHEAD_MAX;
		dhcpd.ahead_count--;
	}
}

static void
ahead_run(void)
{
	int64_t	u = now_unix(), ms = (int64_t)mono_ms();
	int	sent;

	if (dhcpd.srv == NULL)
		return;
	ahead_expire(u, ms);
	sent = ahead_send(u, ms);
	ahead_arm(sent || dhcpd.ahead_count > 0);
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
		dhcpd.io.arp_seen++;
		if (arp_parse_sender(buf, (size_t)n, &sip, mac) == -1 ||
		    sip == 0)
			continue;
		for (i = 0; i < MAX_PROBES; i++)
			if (dhcpd.probes[i].active && dhcpd.probes[i].ip == sip)
				probe_finish(&dhcpd.probes[i], 1);
		/* A probe ahead of demand: ignored unless one runs for sip. */
		if (dhcpd.srv != NULL)
			dhcp_probe_done(dhcpd.srv, sip, 1, now_unix());
	}
	if (dhcpd.srv != NULL)
		flush_batch();		/* conflicts set aside, to the writer */
}

/* ------------------------------------------------------------ receiving */

/* Frames the kernel dropped for a full queue, so far (the counter of
 * PACKET_STATISTICS restarts at each read). */
uint64_t
dhcpd_kernel_drops(void)
{
	struct tpacket_stats st;
	socklen_t	 len = sizeof(st);

	if (getsockopt(FD_DHCPD_FRAMES, SOL_PACKET, PACKET_STATISTICS, &st,
	    &len) == 0)
		dhcpd.io.kernel_drops += st.tp_drops;
	return dhcpd.io.kernel_drops;
}

static void
handle_one(const uint8_t *pkt, size_t len, const struct dhcp_rx *rx)
{
	struct pending	*p;

	p = &dhcpd.pend[(dhcpd.phead + dhcpd.pcount) % PEND_MAX];

	if (dhcpd.pcount == PEND_MAX)	/* room() was checked: cannot be */
		return;
	switch (dhcp_handle(dhcpd.srv, pkt, len, rx, &p->r)) {
	case DHCP_R_REPLY:
		if (!p->r.durable) {
			if (nat_once == BATCH)
				send_at_once();
			at_once[nat_once++] = p->r;
			break;
		}
		/* It may go once every change made so far is durable. */
		p->tag = writer_open_seq(dhcpd.w);
		if (writer_open_count(dhcpd.w) == 0)
			p->tag--;
		dhcpd.pcount++;
		break;
	case DHCP_R_PROBE:
		probe_start(p->r.ip, pkt, len, rx);
		break;
	default:
		break;
	}
}

/* Whether the kernel checked the frame's UDP checksum, or has not
 * computed it yet (sent by this host's own veth peer): PACKET_AUXDATA. */
static void
frame_meta(struct msghdr *mh, int *csum_trusted)
{
	struct tpacket_auxdata aux;
	struct cmsghdr	*cm;

	*csum_trusted = 0;
	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_PACKET ||
		    cm->cmsg_type != PACKET_AUXDATA ||
		    cm->cmsg_len < CMSG_LEN(sizeof(aux)))
			continue;
		memcpy(&aux, CMSG_DATA(cm), sizeof(aux));
		*csum_trusted = (aux.tp_status & (TP_STATUS_CSUMNOTREADY |
		    TP_STATUS_CSUM_VALID)) != 0;
	}
}

/* One frame: its headers checked, then the DHCP message decided. */
static void
frame_one(const uint8_t *buf, size_t len, struct msghdr *mh,
    const struct sockaddr_ll *from, struct dhcp_rx *rx)
{
	struct dhcp_frame f;
	enum dhcp_frame_err e;
	uint32_t	 bcast;
	int		 trusted;

	/* The socket's filter takes neither; a second look costs nothing.
	 * A frame that came in through a VLAN on the LAN link is reported
	 * with the VLAN's index: its clients are not the LAN's. */
	if ((from->sll_pkttype != PACKET_HOST &&
	    from->sll_pkttype != PACKET_BROADCAST) ||
	    (dhcpd.lan_ifindex != 0 &&
	    from->sll_ifindex != dhcpd.lan_ifindex)) {
		dhcpd.io.frames_not_for_us++;
		return;
	}
	frame_meta(mh, &trusted);
	bcast = dhcpd.conf.server | htonl(0xffffffffU >> dhcpd.conf.prefix);
	if ((e = dhcp_frame_parse(buf, len, dhcpd.conf.server, bcast, trusted,
	    &f)) != FRAME_OK) {
		dhcpd.io.frame_drop[e]++;
		return;
	}
	if (f.len > RXBUF) {
		dhcpd.io.truncated++;
		return;
	}
	rx->src = f.src;
	rx->broadcast = f.broadcast;
	memcpy(rx->frame_mac, f.src_mac, 6);
	rx->has_frame_mac = 1;
	handle_one(f.payload, f.len, rx);
}

/*
 * One recvmmsg on the frame socket, each frame decided; how many were
 * read. The requests come from there and not from the UDP socket, so
 * that each carries its frame's source MAC (dhcp-mac-limit).
 */
static int
frames_read_some(void)
{
	static uint8_t		 bufs[BATCH][FRAME_MAX_HDRS + RXBUF];
	static struct mmsghdr	 mm[BATCH];
	static struct iovec	 iov[BATCH];
	static struct sockaddr_ll from[BATCH];
	static union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
	} ctl[BATCH];
	struct dhcp_rx		 rx;
	size_t			 max;
	int			 i, n;

	/* No more than there is room for until the writer catches up. */
	max = PEND_MAX - dhcpd.pcount;
	if (max > writer_open_room(dhcpd.w) / CHANGES_MAX)
		max = writer_open_room(dhcpd.w) / CHANGES_MAX;
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
	if ((n = recvmmsg(FD_DHCPD_FRAMES, mm, (unsigned)max, MSG_DONTWAIT,
	    NULL)) <= 0) {
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			dhcpd.io.recv_errors++;
		return 0;
	}
	memset(&rx, 0, sizeof(rx));
	rx.now = now_unix();
	for (i = 0; i < n; i++) {
		dhcpd.io.frames++;
		if (mm[i].msg_hdr.msg_flags & MSG_TRUNC) {
			dhcpd.io.truncated++;
			continue;
		}
		frame_one(bufs[i], mm[i].msg_len, &mm[i].msg_hdr, &from[i],
		    &rx);
	}
	send_at_once();
	dhcpd.io.batched += (uint64_t)n;
	return n;
}

/*
 * Reads what the kernel holds (a few rounds, so that ARP and the writer
 * get their turn), then hands the changes to the writer. When the queue
 * of waiting replies is full, reading stops until a commit frees it: the
 * kernel holds the rest.
 */
static void
frames_read(evutil_socket_t fd, short ev, void *arg)
{
	int	rounds = 0;

	while (frames_read_some() == BATCH && ++rounds < 8)
		;
	flush_batch();
	if (!room() && !dhcpd.reading_paused) {
		dhcpd.reading_paused = 1;
		dhcpd.io.paused++;
		event_del(dhcpd.ev_rx);
	}
	/* Addresses handed out: keep the reserve of probed ones full. */
	if (dhcpd.conf.probe && !dhcpd.ahead_fast)
		ahead_run();
}

static void
tick(evutil_socket_t fd, short ev, void *arg)
{
	if (dhcpd.srv != NULL) {
		dhcp_tick(dhcpd.srv, now_unix());
		flush_batch();		/* expiries, to the writer */
	}
}

/* ------------------------------------------------------------ config */

static void
load_lease(const struct dhcp_lease *e, void *arg)
{
	int	*bad = arg;

	if (dhcp_lease_load(dhcpd.srv, e) == -1)
		(*bad)++;
}

static void
load_resv(const uint8_t mac[6], uint32_t ip, const char *name, void *arg)
{
	char	err[256], m[18];

	if (dhcp_resv_add(dhcpd.srv, mac, ip, name, 0, err,
	    sizeof(err)) == -1) {
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
	c->mac_limit = mc->conf.dhcp_mac_limit;
}

/* Builds a server for the new configuration, then swaps it in. */
static int
rebuild(const struct dhcp_conf *c, const struct msg_config *mc)
{
	struct dhcp_server *old = dhcpd.srv, *s;
	const struct conf_static_lease *sl;
	char		 err[256], m[18], a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	int		 i, bad = 0, n;

	if ((s = dhcp_server_new(c, &server_ops, err, sizeof(err))) == NULL) {
		log_warnx("cannot serve this configuration: %s", err);
		return -1;
	}
	dhcpd.srv = s;
	for (i = 0; i < mc->conf.nstatic; i++) {
		sl = &mc->conf.static_lease[i];
		if (dhcp_resv_add(s, sl->mac, sl->ip.s_addr, sl->name, 1, err,
		    sizeof(err)) == -1) {
			mac_str(sl->mac, m, sizeof(m));
			log_warnx("static-lease %s ignored: %s", m, err);
		}
	}
	dhcpd_drain();		/* the table is read back from the store */
	if (store_load_resv(dhcpd.store, load_resv, NULL) == -1 ||
	    (n = store_load_leases(dhcpd.store, load_lease, &bad)) == -1) {
		log_warnx("lease database: %s", store_error(dhcpd.store));
		dhcp_server_free(s);
		dhcpd.srv = old;
		return -1;
	}
	if (bad > 0)
		log_info("%d stored leases do not fit this LAN and are "
		    "ignored", bad);
	dhcp_server_free(old);
	/* The old server's probes in flight mean nothing to the new one. */
	dhcpd.ahead_head = dhcpd.ahead_count = 0;
	log_info("serving %s-%s on %s: %d leases, %d reservations, lease "
	    "time %us", ntoa(c->start, a, sizeof(a)), ntoa(c->end, b,
	    sizeof(b)), dhcpd.lan_ifname, n - bad, dhcp_resv_count(s),
	    c->lease_time);
	return 0;
}

static void
dhcpd_config(const struct msg_config *mc, void *arg)
{
	struct dhcp_conf c;

	dhcpd.generation = mc->generation;
	strlcpy(dhcpd.lan_ifname, mc->lan_ifname, sizeof(dhcpd.lan_ifname));
	/* No socket(2) in the sandbox for if_nametoindex(): the packet
	 * socket is bound to the LAN and knows its index. */
	if (dhcpd.lan_ifindex == 0) {
		struct sockaddr_ll sll;
		socklen_t	 sl = sizeof(sll);

		if (getsockname(FD_DHCPD_PACKET, (struct sockaddr *)&sll,
		    &sl) == -1)
			fatal("packet socket");
		dhcpd.lan_ifindex = sll.sll_ifindex;
	}
	conf_from_msg(mc, &c);
	/* The writer thread starts here, inside the sandbox like the rest
	 * of dhcpd (seccomp filters are per thread). */
	if (dhcpd.w == NULL) {
		char	err[256];

		if ((dhcpd.w = writer_new(dhcpd.store, DB_PATH, err,
		    sizeof(err))) == NULL)
			fatalx("lease writer: %s", err);
		dhcpd.ev_writer = event_new(dhcpd.base, writer_fd(dhcpd.w),
		    EV_READ | EV_PERSIST, writer_ready, NULL);
		dhcpd.ev_group = evtimer_new(dhcpd.base, group_timer, NULL);
		if (dhcpd.ev_writer == NULL || dhcpd.ev_group == NULL ||
		    event_add(dhcpd.ev_writer, NULL) == -1)
			fatalx("cannot watch the lease writer");
	}
	if (dhcpd.srv != NULL && memcmp(&c, &dhcpd.conf, sizeof(c)) == 0 &&
	    mc->conf.nstatic == dhcpd.nstatic && memcmp(mc->conf.static_lease,
	    dhcpd.statics, sizeof(dhcpd.statics[0]) *
	    (size_t)dhcpd.nstatic) == 0) {
		log_debug("configuration %u: nothing changed for DHCP",
		    mc->generation);
		return;
	}
	if (rebuild(&c, mc) == -1)
		return;
	dhcpd.conf = c;
	dhcpd.nstatic = mc->conf.nstatic;
	memcpy(dhcpd.statics, mc->conf.static_lease,
	    sizeof(dhcpd.statics[0]) * (size_t)dhcpd.nstatic);
	sync_names();
	ahead_run();
	if (!dhcpd.serving) {
		dhcpd.serving = 1;
		/* Requests that waited in the kernel are served now. */
		if (event_add(dhcpd.ev_rx, NULL) == -1 ||
		    event_add(dhcpd.ev_arp, NULL) == -1)
			fatalx("cannot watch the DHCP sockets");
		frames_read(FD_DHCPD_FRAMES, EV_READ, NULL);
	}
}

/* ------------------------------------------------------------ start */

static void
dhcpd_init(struct event_base *base, void *arg)
{
	struct timeval	 tv = { TICK_SECS, 0 };
	char		 err[512];

	dhcpd.base = base;
	dhcpd.committed_ok = 1;	/* batch 0: nothing, durably */
	/* The state dir is the working directory: the chroot's root, or
	 * under a systemd unit the directory itself (privdrop.h). */
	if ((dhcpd.store = store_open(DB_PATH, err, sizeof(err))) == NULL)
		fatalx("lease database: %s", err);
	dhcpd.ev_rx = event_new(base, FD_DHCPD_FRAMES, EV_READ | EV_PERSIST,
	    frames_read, NULL);
	dhcpd.ev_arp = event_new(base, FD_DHCPD_PACKET, EV_READ | EV_PERSIST,
	    arp_read, NULL);
	dhcpd.ev_tick = event_new(base, -1, EV_PERSIST, tick, NULL);
	dhcpd.ev_ahead = evtimer_new(base, ahead_timer, NULL);
	if (dhcpd.ev_rx == NULL || dhcpd.ev_arp == NULL ||
	    dhcpd.ev_tick == NULL || dhcpd.ev_ahead == NULL ||
	    event_add(dhcpd.ev_tick, &tv) == -1)
		fatalx("cannot set up events");
	dhcpd.dnsd = proto_chan_new(base, FD_DHCPD_DNSD, PEER_DHCPD, PEER_DNSD,
	    dnsd_msg, dnsd_closed, NULL);
	if (dhcpd.dnsd == NULL)
		fatal("dnsd channel");
}

int
main(int argc, char **argv)
{
	/* Not static: the handler count is ctl.c's, not a constant here. */
	const struct child_spec spec = {
		.peer = PEER_DHCPD,
		.init = dhcpd_init,
		.status = dhcpd_status,
		.config = dhcpd_config,
		.handlers = dhcpd_handlers,
		.nhandlers = dhcpd_nhandlers,
	};

	child_main(argc, argv, &spec);
}
