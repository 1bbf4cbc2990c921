/*
 * dnsd: the LAN's caching DNS forwarder. This file is the I/O around the
 * pure logic of server.c: the UDP and TCP port 53 sockets the parent
 * passed (fd 4, 5), the upstream sockets dnsd opens itself (one UDP
 * socket per upstream query, from a random port, connected to the
 * server; TCP when the answer was truncated), the channel from dhcpd
 * (hostnames), the channel to webd (names observed, observe.h). Its
 * status and gkctl commands are in ctl.c, over the state in dnsd.h.
 * Everything per query lives in tables sized at start: no allocation,
 * no logging on the query path.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "chan.h"
#include "child.h"
#include "dnsd.h"
#include "log.h"
#include "observe.h"
#include "ptr.h"
#include "server.h"
#include "util.h"

#define UDP_BATCH	64
#define UDP_ROUNDS	4		/* batches a wakeup takes at most */
#define UDP_NAP_MIN	2		/* queries a wakeup finds under load */
#define UDP_LOAD_US	1000		/* ... less this apart: sustained */
#define UDP_STREAK	4		/* ... that many wakeups in a row */
#define UDP_NAP_NS	100000		/* the wait then, before the next */
#define UDP_QBUF	4096		/* a bigger UDP query is garbage */
#define MAX_PENDING	512		/* upstream queries in flight */
#define MAX_WAITERS	2048		/* clients waiting for them */
#define MAX_WAIT_PER	64		/* clients on one question */
#define MAX_ATTEMPTS	3		/* upstream tries per question */
#define MAX_TCP		32		/* client TCP connections */
#define TCP_IDLE_S	10		/* RFC 7766 6.2.3: seconds, not more */
#define TCP_PER_CLIENT	4		/* connections one LAN address holds */
#define TCP_LIFETIME_S	30		/* a connection's whole life, however
					 * busy: slots are shared */
#define TCP_MSG		(2 + DNS_MAX_MSG)
#define TCP_WBUF	(4 * TCP_MSG)
#define UP_TCP_BUFS	16		/* upstream TCP answers at a time */
#define CACHE_ENTRIES	262144
#define CACHE_ARENA	(96UL * 1024 * 1024)
#define PTR_INFLIGHT	16		/* webd's PTR questions out at once */
#define WAITER_WEBD	(-2)		/* a waiter's conn: webd's question */

struct waiter {
	int		 next;		/* index, -1 ends */
	int		 conn;		/* TCP connection, -1 UDP, WAITER_WEBD */
	uint32_t	 conn_gen;
	struct sockaddr_in client;
	struct timespec	 start;
	struct dns_query q;		/* qname_off 0: the spelling is qraw */
	uint8_t		 qraw[DNS_MAX_NAME];
};

enum up_state { UP_UDP, UP_TCP_CONNECT, UP_TCP_READ };

struct pending {
	int		 used;
	int		 fd;
	struct event	 ev;
	int		 up;		/* upstream index */
	uint32_t	 tried;
	int		 attempts, all_timeouts;
	uint16_t	 id;
	uint16_t	 qtype, qclass;
	uint8_t		 qnamelen;
	uint8_t		 qname[DNS_MAX_NAME];
	uint8_t		 qbuf[2 + DNS_MAX_NAME + 32];	/* TCP prefix first */
	size_t		 qlen;
	struct timespec	 sent;
	int		 waiters, nwaiters;
	enum up_state	 state;
	int		 tbuf;		/* upstream TCP buffer or -1 */
	size_t		 tlen;
};

struct conn {
	int		 used;
	int		 fd;
	uint32_t	 gen;
	int		 inflight;
	struct in_addr	 peer;
	uint32_t	 since;		/* mono s, accepted */
	struct event	 rev, wev;
	size_t		 rlen, wlen, woff;
	uint8_t		 rbuf[TCP_MSG];
	uint8_t		 wbuf[TCP_WBUF];
};

struct dnsd		 dnsd;
static struct dns_resp	 resp;
static struct ans_build	 build;
static struct event_base *base;
static struct event	 ev_udp, ev_listen, ev_tick;
static struct proto_chan *dhcpd_chan;
static struct proto_chan *webd_chan;
static struct event	 ev_obs;
static uint16_t		 port_min = 32768, port_max = 60999;

static struct pending	 pend[MAX_PENDING];
static struct waiter	 wait[MAX_WAITERS];
static int		 wait_free = -1;
static struct conn	 conns[MAX_TCP];
static uint32_t		 conn_gen;
static uint8_t		 up_tbuf[UP_TCP_BUFS][TCP_MSG];
static int		 up_tbuf_used[UP_TCP_BUFS];

static struct mmsghdr	 rmsg[UDP_BATCH], smsg[UDP_BATCH];
static struct iovec	 riov[UDP_BATCH], siov[UDP_BATCH];
static struct sockaddr_in rfrom[UDP_BATCH], sto[UDP_BATCH];
static uint8_t		 rbuf[UDP_BATCH][UDP_QBUF];
static uint8_t		 sbuf[UDP_BATCH][DNS_EDNS_SIZE];
static uint8_t		 obuf[DNS_MAX_MSG];	/* one reply at a time */
static int		 ptr_inflight;		/* webd's, in pending[] */

static void	attempt(struct pending *);
static void	ptr_reply(struct in_addr, const uint8_t *, size_t);

/* ---- observations for webd ---- */

/* One non-blocking send of the batch; when webd lags (its channel is
 * full) the batch is dropped and counted, never queued. */
static void
obs_flush(void)
{
	size_t	 len = obs_len(&dnsd.obs);

	if (len == 0)
		return;
	obs_done(&dnsd.obs, webd_chan != NULL && proto_chan_send_now(webd_chan,
	    MSG_DNS_OBS, &dnsd.obs.batch, len) == 0);
}

static void
obs_event(evutil_socket_t fd, short what, void *arg)
{
	obs_flush();
}

/*
 * An answer a client gets from the upstreams or the cache: its addresses
 * go into the batch, which is sent when full, else once per event-loop
 * round (ev_obs, made active with the first entry, runs after the
 * callbacks of this round).
 */
static void
observe(struct in_addr client, const struct dns_query *q,
    const uint8_t *reply, size_t len, uint32_t mono_s,
    struct cache_entry *hit)
{
	uint32_t before = dnsd.obs.batch.count;
	int	 full;

	if (hit != NULL)
		full = obs_add_cached(&dnsd.obs, &hit->seen_client,
		    &hit->seen_s, client, q->qname, q->qnamelen, reply, len,
		    mono_s);
	else
		full = obs_add(&dnsd.obs, client, q->qname, q->qnamelen, reply,
		    len, mono_s);
	if (full)
		obs_flush();
	else if (before == 0 && dnsd.obs.batch.count > 0)
		event_active(&ev_obs, EV_TIMEOUT, 1);
}

static void
now(struct srv_time *t)
{
	struct timespec ts;

	mono_now(&ts);
	t->mono_s = (uint32_t)ts.tv_sec + 1;
	t->mono_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	t->unix_s = (uint32_t)time(NULL);
}

static uint32_t
elapsed_us(const struct timespec *start)
{
	double	 s = mono_since(start);

	return s < 0 ? 0 : s > 4000 ? 4000000000U : (uint32_t)(s * 1e6);
}

/* ---- replies to clients ---- */

static void	conn_close(struct conn *);

static void
conn_flush(struct conn *c)
{
	ssize_t	 n;

	while (c->woff < c->wlen) {
		n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return;
		}
		c->woff += (size_t)n;
	}
	if (c->woff == c->wlen) {
		c->woff = c->wlen = 0;
		event_del(&c->wev);
	} else
		event_add(&c->wev, NULL);
}

static void
conn_send(struct conn *c, const uint8_t *msg, size_t len)
{
	if (c->woff > 0 && c->woff == c->wlen)
		c->woff = c->wlen = 0;
	if (c->woff > 0) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	/* A client that does not read its answers loses the connection. */
	if (sizeof(c->wbuf) - c->wlen < len + 2) {
		dnsd.srv.st.send_errors++;
		conn_close(c);
		return;
	}
	dns_put16(c->wbuf + c->wlen, (uint16_t)len);
	memcpy(c->wbuf + c->wlen + 2, msg, len);
	c->wlen += len + 2;
	conn_flush(c);
}

/* A reply to a waiting client, over the transport it asked on; to
 * webd, what it says of the PTR. */
static void
waiter_send(struct waiter *w, const uint8_t *msg, size_t len)
{
	struct conn *c;

	if (w->conn == WAITER_WEBD) {
		ptr_inflight--;
		ptr_reply(w->client.sin_addr, msg, len);
		return;
	}
	if (len == 0)
		return;
	if (w->conn < 0) {
		if (sendto(FD_DNSD_UDP, msg, len, MSG_DONTWAIT,
		    (struct sockaddr *)&w->client, sizeof(w->client)) == -1)
			dnsd.srv.st.send_errors++;
		return;
	}
	c = &conns[w->conn];
	if (!c->used || c->gen != w->conn_gen)
		return;		/* the connection went away meanwhile */
	c->inflight--;
	conn_send(c, msg, len);
}

/* ---- upstream queries ---- */

static int
waiter_alloc(void)
{
	static int next_unused;
	int	 i;

	if (wait_free >= 0) {
		i = wait_free;
		wait_free = wait[i].next;
		return i;
	}
	if (next_unused < MAX_WAITERS)
		return next_unused++;
	return -1;
}

static void
pending_close_fd(struct pending *p)
{
	if (p->fd != -1) {
		event_del(&p->ev);
		close(p->fd);
		p->fd = -1;
	}
	if (p->tbuf >= 0) {
		up_tbuf_used[p->tbuf] = 0;
		p->tbuf = -1;
	}
}

static void
pending_free(struct pending *p)
{
	int	 i, next;

	pending_close_fd(p);
	for (i = p->waiters; i >= 0; i = next) {
		next = wait[i].next;
		wait[i].next = wait_free;
		wait_free = i;
	}
	p->used = 0;
}

static void
finish_ok(struct pending *p, const struct ans_build *b)
{
	struct srv_time	 t;
	struct waiter	*w;
	uint32_t	 lat;
	size_t		 n, max;
	int		 i;

	now(&t);
	for (i = p->waiters; i >= 0; i = w->next) {
		w = &wait[i];
		max = w->conn < 0 ? ans_udp_max(&w->q) : sizeof(obuf);
		n = ans_render(b->msg, b->len, b->ttl_offs, b->nttl, 0, 0,
		    w->qraw, &w->q, obuf, max);
		if (n && (dns_get16(obuf + 2) & DNS_TC))
			dnsd.srv.st.truncated++;
		lat = elapsed_us(&w->start);
		if (w->conn != WAITER_WEBD) {
			/* no device asked webd's questions */
			srv_log(&dnsd.srv, w->client.sin_addr, w->q.qname,
			    w->q.qnamelen, w->q.qtype, obuf, n, lat, 0,
			    t.unix_s);
			observe(w->client.sin_addr, &w->q, obuf, n, t.mono_s,
			    NULL);
		}
		waiter_send(w, obuf, n);
	}
	pending_free(p);
}

/* Every attempt failed: stale answers or SERVFAIL; or a fixed rcode. */
static void
finish_fail(struct pending *p, int rcode)
{
	struct srv_time	 t;
	struct waiter	*w;
	size_t		 n, max;
	int		 i, stale;

	now(&t);
	if (rcode < 0 && p->all_timeouts)
		srv_all_failed(&dnsd.srv, &t);
	for (i = p->waiters; i >= 0; i = w->next) {
		w = &wait[i];
		max = w->conn < 0 ? ans_udp_max(&w->q) : sizeof(obuf);
		stale = 0;
		if (rcode < 0)
			n = srv_fail_reply(&dnsd.srv, w->qraw, &w->q, &t, obuf,
			    max, &stale);
		else
			n = dns_reply_short(obuf, max, w->qraw, &w->q, 1, rcode,
			    0);
		if (w->conn != WAITER_WEBD)
			srv_log(&dnsd.srv, w->client.sin_addr, w->q.qname,
			    w->q.qnamelen, w->q.qtype, obuf, n,
			    elapsed_us(&w->start), stale, t.unix_s);
		if (stale && w->conn != WAITER_WEBD)
			observe(w->client.sin_addr, &w->q, obuf, n, t.mono_s,
			    NULL);
		waiter_send(w, obuf, n);
	}
	pending_free(p);
}

/* An upstream's answer in buf: decide, then finish or go on. Returns 0
 * when it was not ours (or unusable) and the wait goes on. */
static int
up_answer(struct pending *p, const uint8_t *buf, size_t len)
{
	struct srv_time	 t;

	now(&t);
	switch (srv_upstream_response(&dnsd.srv, p->up, buf, len, p->id,
	    p->qname, p->qnamelen, p->qtype, p->qclass, &t, &resp, &build)) {
	case SRV_RESP_IGNORE:
		return 0;
	case SRV_RESP_TC:
		if (p->state == UP_UDP) {
			pending_close_fd(p);
			p->state = UP_TCP_CONNECT;
			attempt(p);
			return 1;
		}
		/* truncated over TCP is broken */
		/* FALLTHROUGH */
	case SRV_RESP_FAIL:
		srv_upstream_rtt(&dnsd.srv, p->up, elapsed_us(&p->sent));
		p->all_timeouts = 0;
		pending_close_fd(p);
		attempt(p);
		return 1;
	case SRV_RESP_REBIND:
		srv_upstream_rtt(&dnsd.srv, p->up, elapsed_us(&p->sent));
		finish_fail(p, DNS_REFUSED);
		return 1;
	case SRV_RESP_OK:
		srv_upstream_rtt(&dnsd.srv, p->up, elapsed_us(&p->sent));
		finish_ok(p, &build);
		return 1;
	}
	return 0;
}

static void
up_timeout(struct pending *p)
{
	struct srv_time	 t;

	now(&t);
	srv_upstream_timeout(&dnsd.srv, p->up, t.mono_ms);
	pending_close_fd(p);
	p->state = UP_UDP;
	attempt(p);
}

static void
up_failed(struct pending *p)
{
	struct srv_time	 t;

	now(&t);
	srv_upstream_failed(&dnsd.srv, p->up, t.mono_ms);
	p->all_timeouts = 0;
}

static void
up_udp_event(evutil_socket_t fd, short what, void *arg)
{
	struct pending	*p = arg;
	struct sockaddr_in from;
	socklen_t	 fl;
	ssize_t		 n;
	int		 i;

	if (what & EV_TIMEOUT) {
		up_timeout(p);
		return;
	}
	for (i = 0; i < 8 && p->used && p->fd == fd; i++) {
		fl = sizeof(from);
		n = recvfrom(fd, obuf, sizeof(obuf), MSG_DONTWAIT,
		    (struct sockaddr *)&from, &fl);
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			/* ECONNREFUSED: nothing listens there */
			up_failed(p);
			pending_close_fd(p);
			attempt(p);
			return;
		}
		/* RFC 5452: the server and port we asked, then id and
		 * question (up_answer). The socket is connected, so the
		 * kernel already filters; this is the belt to its braces. */
		if (from.sin_family != AF_INET || from.sin_port != htons(53) ||
		    from.sin_addr.s_addr != dnsd.srv.up[p->up].addr.s_addr) {
			dnsd.srv.st.upstream_mismatched++;
			continue;
		}
		up_answer(p, obuf, (size_t)n);
	}
}

static void
up_tcp_event(evutil_socket_t fd, short what, void *arg)
{
	struct pending	*p = arg;
	struct timeval	 tv = { SRV_UP_TIMEOUT_MS / 1000 * 2, 0 };
	uint8_t		*b;
	socklen_t	 sl = sizeof(int);
	ssize_t		 n;
	size_t		 need;
	int		 err = 0;

	if (what & EV_TIMEOUT) {
		up_timeout(p);
		return;
	}
	if (p->state == UP_TCP_CONNECT) {
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &sl) == -1 ||
		    err != 0 || write(fd, p->qbuf, p->qlen + 2) !=
		    (ssize_t)(p->qlen + 2))
			goto fail;
		p->state = UP_TCP_READ;
		p->tlen = 0;
		event_del(&p->ev);
		event_assign(&p->ev, base, fd, EV_READ | EV_PERSIST,
		    up_tcp_event, p);
		event_add(&p->ev, &tv);
		return;
	}
	b = up_tbuf[p->tbuf];
	n = read(fd, b + p->tlen, TCP_MSG - p->tlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0)
		goto fail;
	p->tlen += (size_t)n;
	if (p->tlen < 2)
		return;
	need = 2 + dns_get16(b);
	if (p->tlen < need)
		return;
	/* one answer per connection: one not usable fails this attempt */
	if (up_answer(p, b + 2, need - 2))
		return;
fail:
	up_failed(p);
	pending_close_fd(p);
	p->state = UP_UDP;
	attempt(p);
}

/* A UDP socket from a random port in the kernel's local range (RFC 5452
 * 9.2): natd lets answers to that range in, nothing else. */
static int
up_socket(int type)
{
	struct sockaddr_in sin;
	int	 fd, i;

	if ((fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1)
		return -1;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	for (i = 0; type == SOCK_DGRAM && i < 8; i++) {
		sin.sin_port = htons((uint16_t)(port_min +
		    arc4random_uniform((uint32_t)(port_max - port_min) + 1)));
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			break;
		if (errno != EADDRINUSE)
			break;
	}
	/* else connect() picks a (random) ephemeral port itself */
	return fd;
}

static int
tbuf_alloc(void)
{
	int	 i;

	for (i = 0; i < UP_TCP_BUFS; i++)
		if (!up_tbuf_used[i]) {
			up_tbuf_used[i] = 1;
			return i;
		}
	return -1;
}

/* Asks the next upstream, over UDP, or TCP after a truncated answer. */
static void
attempt(struct pending *p)
{
	struct sockaddr_in sin;
	struct timeval	 tv = { 0, SRV_UP_TIMEOUT_MS * 1000 };
	struct srv_time	 t;
	int		 tcp = p->state == UP_TCP_CONNECT, up;

	now(&t);
	p->state = tcp ? UP_TCP_CONNECT : UP_UDP;
	if (tcp)
		up = p->up;	/* the same server, over TCP */
	else {
		if (p->attempts >= MAX_ATTEMPTS ||
		    (up = srv_pick_upstream(&dnsd.srv, p->tried,
		    t.mono_ms)) < 0) {
			/* with one upstream, a second try at it */
			if (p->attempts < 2 && dnsd.srv.nupstream == 1) {
				up = 0;
			} else {
				finish_fail(p, -1);
				return;
			}
		}
		p->attempts++;
	}
	p->up = up;
	p->tried |= 1U << up;
	p->id = (uint16_t)arc4random_uniform(65536);
	p->qlen = dns_build_query(p->qbuf + 2, sizeof(p->qbuf) - 2, p->id,
	    p->qname, p->qtype, p->qclass);
	dns_put16(p->qbuf, (uint16_t)p->qlen);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(53);
	sin.sin_addr = dnsd.srv.up[up].addr;
	if (tcp && (p->tbuf = tbuf_alloc()) < 0)
		goto fail;
	if ((p->fd = up_socket(tcp ? SOCK_STREAM : SOCK_DGRAM)) == -1)
		goto fail;
	if (connect(p->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 &&
	    errno != EINPROGRESS)
		goto fail;
	if (tcp) {
		tv.tv_sec = SRV_UP_TIMEOUT_MS / 1000 * 2;
		tv.tv_usec = 0;
		event_assign(&p->ev, base, p->fd, EV_WRITE, up_tcp_event, p);
	} else {
		if (send(p->fd, p->qbuf + 2, p->qlen, 0) != (ssize_t)p->qlen)
			goto fail;
		event_assign(&p->ev, base, p->fd, EV_READ | EV_PERSIST,
		    up_udp_event, p);
	}
	dnsd.srv.up[up].queries++;
	mono_now(&p->sent);
	event_add(&p->ev, &tv);
	return;
fail:
	/* our own socket failed (fd limit, no route): next one */
	dnsd.srv.st.upstream_failures++;
	if (p->fd != -1) {
		close(p->fd);
		p->fd = -1;
	}
	if (p->tbuf >= 0) {
		up_tbuf_used[p->tbuf] = 0;
		p->tbuf = -1;
	}
	p->state = UP_UDP;
	p->all_timeouts = 0;
	attempt(p);
}

static struct pending *
pending_find(const struct dns_query *q)
{
	int	 i;

	for (i = 0; i < MAX_PENDING; i++) {
		struct pending *p = &pend[i];

		if (p->used && p->qnamelen == q->qnamelen &&
		    p->qtype == q->qtype && p->qclass == q->qclass &&
		    memcmp(p->qname, q->qname, q->qnamelen) == 0)
			return p;
	}
	return NULL;
}

/* A cache miss: join the identical question in flight, or ask. A
 * question of webd's has client the address it asks about, c NULL and
 * webd set. */
static void
forward(const struct dns_query *q, const uint8_t *qmsg,
    const struct sockaddr_in *client, struct conn *c, int webd)
{
	struct pending	*p;
	struct waiter	*w;
	struct srv_time	 t;
	size_t		 n;
	int		 wi, i;

	p = pending_find(q);
	if (p != NULL && p->nwaiters < MAX_WAIT_PER) {
		dnsd.srv.st.coalesced++;
	} else {
		for (i = 0, p = NULL; i < MAX_PENDING && p == NULL; i++)
			if (!pend[i].used)
				p = &pend[i];
		if (p != NULL)
			dnsd.srv.st.forwarded++;
	}
	if (p == NULL || (wi = waiter_alloc()) < 0) {
		dnsd.srv.st.pending_full++;
		if (webd) {
			ptr_reply(client->sin_addr, NULL, 0);
			return;
		}
		now(&t);
		n = dns_reply_short(obuf, c ? sizeof(obuf) : DNS_MAX_UDP, qmsg,
		    q, 1, DNS_SERVFAIL, 0);
		if (c != NULL)
			conn_send(c, obuf, n);
		else if (sendto(FD_DNSD_UDP, obuf, n, MSG_DONTWAIT,
		    (const struct sockaddr *)client, sizeof(*client)) == -1)
			dnsd.srv.st.send_errors++;
		dnsd.srv.st.servfail_sent++;
		return;
	}
	w = &wait[wi];
	w->client = *client;
	w->conn = webd ? WAITER_WEBD : c ? (int)(c - conns) : -1;
	ptr_inflight += webd;
	w->conn_gen = c ? c->gen : 0;
	w->q = *q;
	w->q.qname_off = 0;
	memcpy(w->qraw, q->qname_raw ? qmsg + q->qname_off : q->qname,
	    q->qnamelen);
	mono_now(&w->start);
	if (c != NULL)
		c->inflight++;
	if (p->used) {
		w->next = p->waiters;
		p->waiters = wi;
		p->nwaiters++;
		return;
	}
	memset(p, 0, offsetof(struct pending, qname));
	p->used = 1;
	p->fd = -1;
	p->tbuf = -1;
	p->state = UP_UDP;
	p->all_timeouts = 1;
	p->qnamelen = q->qnamelen;
	memcpy(p->qname, q->qname, q->qnamelen);
	p->qtype = q->qtype;
	p->qclass = q->qclass;
	w->next = -1;
	p->waiters = wi;
	p->nwaiters = 1;
	attempt(p);
}

/* ---- UDP clients ---- */

/* One batch: receive, decide, send what is ready. Returns how many
 * datagrams came. */
static int
udp_batch(int fd)
{
	struct srv_time	 t;
	struct dns_query q;
	size_t		 outlen;
	int		 n, i, k = 0, cached, sent;

	/* The headers point at fixed buffers (udp_setup); the kernel
	 * changes only the address length and flags. */
	for (i = 0; i < UDP_BATCH; i++)
		rmsg[i].msg_hdr.msg_namelen = sizeof(rfrom[i]);
	if ((n = recvmmsg(fd, rmsg, UDP_BATCH, MSG_DONTWAIT, NULL)) <= 0)
		return 0;
	now(&t);
	for (i = 0; i < n; i++) {
		if ((rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) ||
		    rfrom[i].sin_family != AF_INET) {
			dnsd.srv.st.dropped_short_or_response++;
			continue;
		}
		/* Only the LAN: never a reflector for the internet. */
		if (!srv_client_ok(&dnsd.srv, rfrom[i].sin_addr)) {
			dnsd.srv.st.dropped_outside_lan++;
			continue;
		}
		switch (srv_query(&dnsd.srv, rbuf[i], rmsg[i].msg_len, 0, &t,
		    &q, sbuf[k], sizeof(sbuf[k]), &outlen, &cached)) {
		case SRV_DROP:
			break;
		case SRV_FORWARD:
			forward(&q, rbuf[i], &rfrom[i], NULL, 0);
			break;
		case SRV_REPLY:
			if (q.qnamelen > 0)
				srv_log(&dnsd.srv, rfrom[i].sin_addr, q.qname,
				    q.qnamelen, q.qtype, sbuf[k], outlen, 0,
				    cached, t.unix_s);
			if (cached)
				observe(rfrom[i].sin_addr, &q, sbuf[k], outlen,
				    t.mono_s, dnsd.srv.hit);
			siov[k].iov_len = outlen;
			sto[k] = rfrom[i];
			k++;
			break;
		}
	}
	for (i = 0; i < k; i += sent) {
		sent = sendmmsg(fd, smsg + i, (unsigned int)(k - i),
		    MSG_DONTWAIT);
		if (sent <= 0) {
			/* the one that failed is lost; go on with the rest */
			dnsd.srv.st.send_errors++;
			sent = 1;
		}
	}
	return n;
}

/*
 * Interrupt moderation, as a NIC does it. A full batch means more is
 * waiting: take it at once. Under sustained load (UDP_STREAK wakeups in
 * a row found UDP_NAP_MIN queries or more, each starting less than
 * UDP_LOAD_US after the one before ended) every wakeup costs more than
 * the queries it brings (a context switch, and on a VM an interrupt
 * between vCPUs, several times the work of a cached answer): the answers
 * are out, dnsd waits UDP_NAP_NS and takes what came meanwhile, and
 * again while more comes, up to UDP_ROUNDS batches. A client's A and
 * AAAA pair now and then, or a page's burst of lookups, is not a load,
 * and one query at a time never waits. Not forever: TCP, upstreams and
 * the channels wait too.
 */
static void
udp_read(evutil_socket_t fd, short what, void *arg)
{
	static const struct timespec nap = { 0, UDP_NAP_NS };
	static struct timespec loaded;	/* the last loaded wakeup's end */
	static unsigned	 streak;	/* loaded wakeups, each soon after */
	int		 i, n, got = 0, sustained;

	/* from this wakeup's start: how long its own batches take is not
	 * the clients' pace */
	if (elapsed_us(&loaded) >= UDP_LOAD_US)
		streak = 0;
	sustained = streak >= UDP_STREAK;
	for (i = 0; i < UDP_ROUNDS; i++) {
		if ((n = udp_batch(fd)) == 0)
			break;
		got += n;
		if (n == UDP_BATCH)
			continue;
		if (got < UDP_NAP_MIN || !sustained || i == UDP_ROUNDS - 1)
			break;
		dnsd.srv.st.udp_naps++;
		nanosleep(&nap, NULL);
	}
	if (got >= UDP_NAP_MIN) {
		mono_now(&loaded);
		if (streak < UDP_STREAK)
			streak++;
	} else
		streak = 0;
}

static void
udp_setup(void)
{
	int	 i;

	for (i = 0; i < UDP_BATCH; i++) {
		riov[i].iov_base = rbuf[i];
		riov[i].iov_len = sizeof(rbuf[i]);
		rmsg[i].msg_hdr.msg_name = &rfrom[i];
		rmsg[i].msg_hdr.msg_iov = &riov[i];
		rmsg[i].msg_hdr.msg_iovlen = 1;
		siov[i].iov_base = sbuf[i];
		smsg[i].msg_hdr.msg_name = &sto[i];
		smsg[i].msg_hdr.msg_namelen = sizeof(sto[i]);
		smsg[i].msg_hdr.msg_iov = &siov[i];
		smsg[i].msg_hdr.msg_iovlen = 1;
	}
}

/* ---- TCP clients ---- */

static void
conn_close(struct conn *c)
{
	if (!c->used)
		return;
	event_del(&c->rev);
	event_del(&c->wev);
	close(c->fd);
	c->used = 0;
	c->gen = 0;
}

/* Answers every complete message in the buffer (pipelining). */
static void
conn_process(struct conn *c)
{
	struct srv_time	 t;
	struct dns_query q;
	struct sockaddr_in sin;
	size_t		 len, off = 0, outlen;
	int		 cached;

	now(&t);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr = c->peer;
	while (c->used && c->rlen - off >= 2) {
		len = dns_get16(c->rbuf + off);
		if (len < DNS_HDR_LEN) {
			dnsd.srv.st.tcp_malformed++;
			conn_close(c);
			return;
		}
		if (c->rlen - off < 2 + len)
			break;
		switch (srv_query(&dnsd.srv, c->rbuf + off + 2, len, 1, &t, &q,
		    obuf, sizeof(obuf), &outlen, &cached)) {
		case SRV_DROP:
			break;
		case SRV_FORWARD:
			forward(&q, c->rbuf + off + 2, &sin, c, 0);
			break;
		case SRV_REPLY:
			if (q.qnamelen > 0)
				srv_log(&dnsd.srv, c->peer, q.qname, q.qnamelen,
				    q.qtype, obuf, outlen, 0, cached,
				    t.unix_s);
			if (cached)
				observe(c->peer, &q, obuf, outlen, t.mono_s,
				    dnsd.srv.hit);
			conn_send(c, obuf, outlen);
			break;
		}
		off += 2 + len;
	}
	if (c->used && off > 0) {
		memmove(c->rbuf, c->rbuf + off, c->rlen - off);
		c->rlen -= off;
	}
}

/*
 * Closes a connection past its lifetime: a client trickling a byte before
 * each idle timeout would keep a slot for ever. Answers still owed to it
 * are dropped (its generation is gone).
 */
static int
conn_expired(struct conn *c)
{
	if (!c->used || mono_s() - c->since < TCP_LIFETIME_S)
		return 0;
	dnsd.srv.st.tcp_lifetime_closed++;
	conn_close(c);
	return 1;
}

/* Connections the address holds: a slot is refused beyond TCP_PER_CLIENT. */
static int
conns_of(struct in_addr peer)
{
	int	 i, n = 0;

	for (i = 0; i < MAX_TCP; i++)
		if (conns[i].used && conns[i].peer.s_addr == peer.s_addr)
			n++;
	return n;
}

static void
conn_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	ssize_t		 n;

	if (conn_expired(c))
		return;
	if (what & EV_TIMEOUT) {
		/* idle: nothing asked and nothing owed */
		if (c->inflight <= 0 && c->wlen == 0) {
			dnsd.srv.st.tcp_idle_closed++;
			conn_close(c);
		}
		return;
	}
	n = read(fd, c->rbuf + c->rlen, sizeof(c->rbuf) - c->rlen);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->rlen += (size_t)n;
	conn_process(c);
}

static void
conn_write(evutil_socket_t fd, short what, void *arg)
{
	conn_flush(arg);
}

static void
tcp_accept(evutil_socket_t fd, short what, void *arg)
{
	struct timeval	 idle = { TCP_IDLE_S, 0 };
	struct sockaddr_in sin;
	socklen_t	 sl;
	struct conn	*c;
	int		 s, i;

	for (;;) {
		sl = sizeof(sin);
		s = accept4(fd, (struct sockaddr *)&sin, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (s == -1)
			return;
		for (i = 0, c = NULL; i < MAX_TCP && c == NULL; i++)
			if (!conns[i].used)
				c = &conns[i];
		if (sin.sin_family != AF_INET || c == NULL ||
		    !srv_client_ok(&dnsd.srv, sin.sin_addr)) {
			if (c == NULL)
				dnsd.srv.st.tcp_refused++;
			else
				dnsd.srv.st.dropped_outside_lan++;
			close(s);
			continue;
		}
		if (conns_of(sin.sin_addr) >= TCP_PER_CLIENT) {
			dnsd.srv.st.tcp_client_limit++;
			close(s);
			continue;
		}
		dnsd.srv.st.tcp_accepted++;
		c->used = 1;
		c->fd = s;
		c->gen = ++conn_gen ? conn_gen : ++conn_gen;
		c->inflight = 0;
		c->peer = sin.sin_addr;
		c->since = mono_s();
		c->rlen = c->wlen = c->woff = 0;
		event_assign(&c->rev, base, s, EV_READ | EV_PERSIST, conn_read,
		    c);
		event_assign(&c->wev, base, s, EV_WRITE | EV_PERSIST,
		    conn_write, c);
		event_add(&c->rev, &idle);
	}
}

/* ---- hostnames from dhcpd ---- */

static void
dhcpd_msg(struct proto_chan *ch, struct proto_msg *msg, void *arg)
{
	struct msg_host	 h;
	const char	*why = "";

	switch (msg->hdr.type) {
	case MSG_HOST_ADD:
	case MSG_HOST_DEL:
		memcpy(&h, msg->data, sizeof(h));
		h.name[sizeof(h.name) - 1] = '\0';
		if (msg->hdr.type == MSG_HOST_DEL) {
			local_del(&dnsd.srv.local, h.ip);
			break;
		}
		if (dnsd.srv.configured && !srv_client_ok(&dnsd.srv, h.ip))
			why = "address outside the LAN";
		else if (local_add(&dnsd.srv.local, LOCAL_DHCP, h.name, h.ip,
		    h.expiry, &why) == 0) {
			dnsd.dhcp_names_added++;
			break;
		}
		dnsd.dhcp_names_refused++;
		log_warnx("dhcpd's name \"%s\" for %s refused: %s", h.name,
		    inet_ntoa(h.ip), why);
		break;
	default:
		log_warnx("unexpected %s from dhcpd",
		    proto_type_name(msg->hdr.type));
		break;
	}
}

static void
dhcpd_closed(struct proto_chan *ch, const char *why, void *arg)
{
	log_warnx("dhcpd channel %s; DHCP names stay until they expire", why);
	proto_chan_free(ch);
	dhcpd_chan = NULL;
}

/* ---- the channel to webd: observations out, PTR questions in ---- */

/* What came of webd's PTR question about a (reply: len 0 when none). */
static void
ptr_reply(struct in_addr a, const uint8_t *reply, size_t len)
{
	struct msg_dns_ptr m;

	memset(&m, 0, sizeof(m));
	m.addr = a;
	ptr_answer(reply, len, &resp, &m);
	dnsd.ptr_found += m.status == DNS_PTR_FOUND;
	if (webd_chan == NULL || proto_chan_send_now(webd_chan, MSG_DNS_PTR,
	    &m, sizeof(m)) == -1)
		dnsd.ptr_lost++;
}

/*
 * webd asks for the PTR of a remote address no device resolved (it has
 * no network access of its own). The question goes the way a client's
 * does, through the cache, the local zones and the upstreams, but never
 * into a device's log or observations, and at most PTR_INFLIGHT at once
 * (webd rate-limits too; this keeps a webd gone wrong from taking the
 * pending table from the devices): beyond that, answered "failed".
 */
static void
ptr_ask(const struct msg_dns_ptr *req)
{
	uint8_t		 qmsg[DNS_HDR_LEN + DNS_MAX_NAME + 32];
	struct sockaddr_in about;
	struct dns_query q;
	struct srv_time	 t;
	size_t		 n, outlen;
	int		 cached;

	dnsd.ptr_asked++;
	if (ptr_inflight >= PTR_INFLIGHT ||
	    (n = ptr_question(req->addr, qmsg, sizeof(qmsg))) == 0) {
		dnsd.ptr_busy++;
		ptr_reply(req->addr, NULL, 0);
		return;
	}
	memset(&about, 0, sizeof(about));
	about.sin_family = AF_INET;
	about.sin_addr = req->addr;
	now(&t);
	switch (srv_query(&dnsd.srv, qmsg, n, 1, &t, &q, obuf, sizeof(obuf),
	    &outlen, &cached)) {
	case SRV_DROP:
		ptr_reply(req->addr, NULL, 0);
		break;
	case SRV_REPLY:
		ptr_reply(req->addr, obuf, outlen);
		break;
	case SRV_FORWARD:
		forward(&q, qmsg, &about, NULL, 1);
		break;
	}
	/* not a device's query, which srv_query counted it as */
	dnsd.srv.st.queries_tcp--;
}

static void
webd_msg(struct proto_chan *ch, struct proto_msg *msg, void *arg)
{
	struct msg_dns_ptr m;

	if (msg->hdr.type != MSG_DNS_PTR_REQ) {
		log_warnx("unexpected %s from webd",
		    proto_type_name(msg->hdr.type));
		return;
	}
	/* proto_check vouched for the size and the fields */
	memcpy(&m, msg->data, sizeof(m));
	ptr_ask(&m);
}

static void
webd_closed(struct proto_chan *ch, const char *why, void *arg)
{
	log_warnx("webd channel %s; observations are dropped from now on",
	    why);
	proto_chan_free(ch);
	webd_chan = NULL;
}

/*
 * Exhaustion, said in the log at most once a minute per cause (the
 * counters, in gkctl -j status, rise per query): how many since the
 * last report.
 */
static void
report_exhaustion(void)
{
	static struct log_due evict, pending, tcp;
	struct cache_stats cs;
	uint32_t	 now = mono_s();
	uint64_t	 k;

	cache_get_stats(dnsd.srv.cache, &cs);
	if ((k = log_due(&evict, cs.evictions, now, 60)) > 0)
		log_info("DNS cache full: %llu answers evicted, the least "
		    "recently used first (cache_evictions; %llu entries, "
		    "%llu bytes at most)", (unsigned long long)k,
		    (unsigned long long)cs.max_entries,
		    (unsigned long long)cs.arena_size);
	if ((k = log_due(&pending, dnsd.srv.st.pending_full, now, 60)) > 0)
		log_warnx("DNS: %llu queries refused (SERVFAIL): %d upstream "
		    "queries in flight already (pending_full)",
		    (unsigned long long)k, MAX_PENDING);
	if ((k = log_due(&tcp, dnsd.srv.st.tcp_client_limit, now, 60)) > 0)
		log_warnx("DNS: %llu TCP connections refused: their device "
		    "holds its %d (tcp_client_limit); other devices are served",
		    (unsigned long long)k, TCP_PER_CLIENT);
}

static void
tick(evutil_socket_t fd, short what, void *arg)
{
	int	 i;

	local_expire(&dnsd.srv.local, (uint32_t)time(NULL));
	for (i = 0; i < MAX_TCP; i++)
		conn_expired(&conns[i]);
	report_exhaustion();
}

/* ---- child callbacks ---- */

static void
dnsd_init(struct event_base *b, void *arg)
{
	struct msg_host_sync sync = { 0 };
	struct timeval	 tv = { 10, 0 };
	struct cache	*c;

	base = b;
	if ((c = cache_new(CACHE_ENTRIES, CACHE_ARENA)) == NULL)
		fatal("cannot reserve the cache");
	srv_init(&dnsd.srv, c);
	udp_setup();
	event_assign(&ev_udp, base, FD_DNSD_UDP, EV_READ | EV_PERSIST,
	    udp_read, NULL);
	event_assign(&ev_listen, base, FD_DNSD_TCP, EV_READ | EV_PERSIST,
	    tcp_accept, NULL);
	event_assign(&ev_tick, base, -1, EV_PERSIST, tick, NULL);
	if (set_nonblock(FD_DNSD_UDP) == -1 || set_nonblock(FD_DNSD_TCP) == -1)
		fatal("cannot make the DNS sockets non-blocking");
	event_add(&ev_udp, NULL);
	event_add(&ev_listen, NULL);
	event_add(&ev_tick, &tv);
	dhcpd_chan = proto_chan_new(base, FD_DNSD_DHCPD, PEER_DNSD, PEER_DHCPD,
	    dhcpd_msg, dhcpd_closed, NULL);
	if (dhcpd_chan == NULL)
		fatal("dhcpd channel");
	obs_init(&dnsd.obs);
	event_assign(&ev_obs, base, -1, 0, obs_event, NULL);
	webd_chan = proto_chan_new(base, FD_DNSD_WEBD, PEER_DNSD, PEER_WEBD,
	    webd_msg, webd_closed, NULL);
	if (webd_chan == NULL)
		fatal("webd channel");
	/* A (re)started dnsd asks for every current name. */
	if (proto_chan_send(dhcpd_chan, MSG_HOST_SYNC, &sync, sizeof(sync),
	    -1) == -1)
		log_warnx("cannot ask dhcpd for its names");
}

static void
dnsd_config(const struct msg_config *mc, void *arg)
{
	char	 lan[INET_ADDRSTRLEN];

	srv_configure(&dnsd.srv, &mc->conf);
	if (mc->local_port_min > 0 && mc->local_port_min <= mc->local_port_max) {
		port_min = mc->local_port_min;
		port_max = mc->local_port_max;
	}
	inet_ntop(AF_INET, &mc->conf.lan_addr, lan, sizeof(lan));
	log_info("serving %s/%d, domain %s, %d upstream%s", lan,
	    mc->conf.lan_prefix, mc->conf.domain, dnsd.srv.nupstream,
	    dnsd.srv.nupstream == 1 ? "" : "s");
	if (dnsd.srv.nupstream == 0)
		log_warnx("no upstream: names outside the LAN get SERVFAIL");
}

int
main(int argc, char **argv)
{
	/* Not static: the handler count is ctl.c's, not a constant here. */
	const struct child_spec spec = {
		.peer = PEER_DNSD,
		.init = dnsd_init,
		.status = dnsd_status,
		.config = dnsd_config,
		.handlers = dnsd_handlers,
		.nhandlers = dnsd_nhandlers,
	};

	child_main(argc, argv, &spec);
}
