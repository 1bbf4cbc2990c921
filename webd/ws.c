/*
 * WebSocket connections (RFC 6455) for /api/live: libwslay does the
 * framing (masks, fragments, ping/pong, close codes, size limits) over
 * the bufferevent of the evhttp connection the upgrade came on.
 *
 * A slow reader never makes us buffer without bound: a new frame goes
 * out only when the previous one has left our buffer; meanwhile the
 * frames it misses are coalesced into the one it gets once the buffer
 * drained (live.c sums them: device bytes stay exact; a live view wants
 * the present, not the backlog). A client that reads nothing is cut with 1008: its
 * frames are small and the kernel's buffers would hide it for an hour,
 * so every connection is pinged when quiet, and one that answers
 * nothing (a browser answers pings by itself) for WS_SILENT_MS, or
 * whose buffer has not drained for as long, is closed.
 *
 * Many connections get the same frame: every connection up to date
 * with the same subscriptions (every overview page, every page of one
 * device) is sent the same text. That text is built and framed once per
 * frame (struct ws_wire: the RFC 6455 header, unmasked as a server's
 * frames are, and the text), and each connection's output buffer only
 * references it (evbuffer_add_reference, no copy), the last reference
 * gone freeing it: the work per frame grows with the distinct views,
 * not with the clients, save one write each. On plain HTTP a frame
 * whose connection has nothing waiting goes straight to the socket
 * (send, MSG_DONTWAIT): the bufferevent would arm its write event for
 * it and disarm it once drained, two epoll_ctl per connection and
 * frame around the one write, which were most of a client's cost
 * (bench/telemetry, perf); what the socket does not take waits in the
 * output buffer as a reference. The socket takes no more than
 * WS_NOTSENT_LOWAT bytes it has not sent (TCP_NOTSENT_LOWAT: send()
 * and writability alike), so a reader that stalls has a few frames
 * queued in the kernel, not as many as the send buffer holds, and the
 * rest coalesced: writing straight away must not let a backlog build
 * where waiting for writability (epoll's third of the buffer free)
 * did not. Only a connection behind (its own
 * coalesced text) goes through wslay's queue like the control frames.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <jansson.h>
#include <wslay/wslay.h>

#include "live.h"
#include "log.h"
#include "util.h"
#include "ws.h"

#define WS_MAX_RECV		LIVE_MSG_MAX	/* a subscription */
#define WS_SILENT_MS		10000
#define WS_PING_MS		3000
#define WS_VIEWS		8	/* distinct views framed once per frame;
					 * past them, a text per connection */
#define WS_HEAD_MAX		10	/* a server frame's header */
#define WS_NOTSENT_LOWAT	16384	/* unsent bytes the kernel holds */

/* One frame on the wire, shared by the connections it is sent to. */
struct ws_wire {
	unsigned		 refs;
	size_t			 len;
	uint8_t			 data[];
};

/* This frame's wires, per view (live_view_key). */
struct ws_view {
	int			 n;		/* -1: unused */
	int16_t			 key[LIVE_SUBS_MAX];
	struct ws_wire		*wire;
};

struct ws_conn {
	struct evhttp_connection *evcon;
	struct bufferevent	*bev;
	int			 fd;		/* plain TCP's socket; -1: TLS */
	wslay_event_context_ptr	 ctx;
	struct live_sub		 sub;		/* subscriptions, what it got */
	uint64_t		 drained_ms;	/* output last empty */
	uint64_t		 heard_ms;	/* bytes last received */
	uint64_t		 pinged_ms;
	TAILQ_ENTRY(ws_conn)	 entry;
};

static TAILQ_HEAD(, ws_conn) conns = TAILQ_HEAD_INITIALIZER(conns);
static struct ws_stats st;
static struct live	*live;

static ssize_t
ws_recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct ws_conn	*c = arg;
	size_t		 n;

	n = evbuffer_remove(bufferevent_get_input(c->bev), buf, len);
	if (n == 0 || n == (size_t)-1) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	return (ssize_t)n;
}

/* Into our output buffer: the frame backlog is what sits there. */
static ssize_t
ws_send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct ws_conn	*c = arg;

	if (evbuffer_add(bufferevent_get_output(c->bev), data, len) == -1) {
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	return (ssize_t)len;
}

static int
ws_genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len,
    void *arg)
{
	arc4random_buf(buf, len);
	return 0;
}

static void	queue_text(struct ws_conn *, const char *);

/* The frame of text as a server sends it (RFC 6455 5.2: FIN, text, no
 * mask), one reference held by the caller. */
static struct ws_wire *
wire_new(const char *text)
{
	struct ws_wire	*w;
	size_t		 len = strlen(text), h = 0;
	uint8_t		 head[WS_HEAD_MAX];
	int		 i;

	head[h++] = 0x81;
	if (len < 126)
		head[h++] = (uint8_t)len;
	else if (len <= 0xffff) {
		head[h++] = 126;
		head[h++] = (uint8_t)(len >> 8);
		head[h++] = (uint8_t)len;
	} else {
		head[h++] = 127;
		for (i = 7; i >= 0; i--)
			head[h++] = (uint8_t)((uint64_t)len >> (i * 8));
	}
	if ((w = malloc(sizeof(*w) + h + len)) == NULL)
		return NULL;
	w->refs = 1;
	w->len = h + len;
	memcpy(w->data, head, h);
	memcpy(w->data + h, text, len);
	return w;
}

static void
wire_unref(struct ws_wire *w)
{
	if (w != NULL && --w->refs == 0)
		free(w);
}

/* evbuffer is done with a reference (written out, or the connection
 * freed). */
static void
wire_done(const void *data, size_t len, void *arg)
{
	wire_unref(arg);
}

/* A client message: a subscription, or an error frame saying why not. */
static void
ws_msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct ws_conn	*c = arg;
	const char	*why;
	json_t		*o;
	char		*text;

	if (m->opcode != WSLAY_TEXT_FRAME)
		return;
	st.received++;
	if ((why = live_message(live, &c->sub, (const char *)m->msg,
	    m->msg_length)) == NULL)
		return;
	o = json_pack("{s:s}", "error", why);
	if (o != NULL && (text = json_dumps(o, JSON_COMPACT)) != NULL) {
		queue_text(c, text);
		free(text);
	}
	json_decref(o);
}

static void
conn_free(struct ws_conn *c)
{
	TAILQ_REMOVE(&conns, c, entry);
	wslay_event_context_free(c->ctx);
	live_drop(live, &c->sub);
	/* frees the bufferevent and closes the socket */
	evhttp_connection_free(c->evcon);
	free(c);
}

/* Flushes what wslay queued; frees the connection once both sides are
 * done (a close handshake ended, or an error). */
static void
conn_pump(struct ws_conn *c)
{
	if (wslay_event_send(c->ctx) != 0 ||
	    (!wslay_event_want_read(c->ctx) &&
	    !wslay_event_want_write(c->ctx) &&
	    evbuffer_get_length(bufferevent_get_output(c->bev)) == 0))
		conn_free(c);
}

static void
ws_read(struct bufferevent *bev, void *arg)
{
	struct ws_conn	*c = arg;

	c->heard_ms = mono_ms();
	if (wslay_event_recv(c->ctx) != 0) {
		conn_free(c);
		return;
	}
	conn_pump(c);
}

static void
queue_text(struct ws_conn *c, const char *text)
{
	struct wslay_event_msg	 m;

	m.opcode = WSLAY_TEXT_FRAME;
	m.msg = (const uint8_t *)text;
	m.msg_length = strlen(text);
	if (wslay_event_queue_msg(c->ctx, &m) == 0)
		st.frames++;
}

/*
 * The frame w to c: written to the socket when it takes it at once
 * (plain TCP, nothing waiting), else what is left referenced from the
 * output buffer. Only while wslay holds nothing of c's (its queue
 * flushes whole into the buffer: ws_send_cb never refuses), so the
 * frame cannot land inside another; never after a close. 0: sent;
 * -1: not sent (the caller queues the text); -2: part of it left and
 * the rest could not be kept, the connection is freed.
 */
static int
send_wire(struct ws_conn *c, struct ws_wire *w, uint64_t now)
{
	struct evbuffer	*out = bufferevent_get_output(c->bev);
	size_t		 off = 0;
	ssize_t		 n;

	if (wslay_event_want_write(c->ctx) ||
	    wslay_event_get_close_sent(c->ctx) ||
	    wslay_event_get_close_received(c->ctx))
		return -1;
	if (c->fd != -1 && evbuffer_get_length(out) == 0 &&
	    (n = send(c->fd, w->data, w->len, MSG_DONTWAIT | MSG_NOSIGNAL)) > 0)
		off = (size_t)n;
	/* an error other than a full socket is the bufferevent's to meet
	 * on its own write: the connection's event callback frees it */
	if (off < w->len && evbuffer_add_reference(out, w->data + off,
	    w->len - off, wire_done, w) == -1) {
		if (off == 0)
			return -1;
		conn_free(c);	/* half a frame out: the stream is broken */
		return -2;
	}
	if (off < w->len)
		w->refs++;
	else
		c->drained_ms = now;
	st.frames++;
	return 0;
}

/* The wire of c's view this frame, framed when the first connection of
 * the view asks; NULL when c is behind, or past WS_VIEWS views, or out
 * of memory (c gets its text through wslay). */
static struct ws_wire *
view_wire(struct ws_view *views, struct ws_conn *c)
{
	int16_t		 key[LIVE_SUBS_MAX];
	struct ws_view	*v;
	char		*text;
	int		 n, i;

	if ((n = live_view_key(&c->sub, key)) == -1)
		return NULL;
	for (i = 0; i < WS_VIEWS; i++) {
		v = &views[i];
		if (v->n == -1)
			break;
		if (v->n == n && memcmp(v->key, key,
		    sizeof(key[0]) * (size_t)n) == 0)
			return v->wire;
	}
	if (i == WS_VIEWS || (text = live_text(live, &c->sub)) == NULL)
		return NULL;
	v->n = n;
	memcpy(v->key, key, sizeof(key[0]) * (size_t)n);
	v->wire = wire_new(text);
	free(text);
	return v->wire;
}

/* The frame for c now (the sum of what it missed, when behind). */
static void
send_frame(struct ws_conn *c)
{
	char	*text;

	if ((text = live_text(live, &c->sub)) == NULL)
		return;
	queue_text(c, text);
	free(text);
}

/* Our buffer drained: what it missed meanwhile goes now, in one. */
static void
ws_write(struct bufferevent *bev, void *arg)
{
	struct ws_conn	*c = arg;

	c->drained_ms = mono_ms();
	if (live_is_behind(&c->sub))
		send_frame(c);
	conn_pump(c);
}

static void
ws_event(struct bufferevent *bev, short what, void *arg)
{
	conn_free(arg);
}

int
ws_start(struct evhttp_request *req, const char *accept)
{
	struct wslay_event_callbacks cb = {
		ws_recv_cb, ws_send_cb, ws_genmask_cb, NULL, NULL, NULL,
		ws_msg_cb
	};
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	struct ws_conn	*c;
	struct evbuffer	*out;
	int		 lowat;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -1;
	c->evcon = evcon;
	c->bev = evhttp_connection_get_bufferevent(evcon);
	c->fd = bufferevent_openssl_get_ssl(c->bev) == NULL ?
	    bufferevent_getfd(c->bev) : -1;
	lowat = WS_NOTSENT_LOWAT;
	if (setsockopt(bufferevent_getfd(c->bev), IPPROTO_TCP,
	    TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat)) == -1)
		c->fd = -1;	/* no bound: through the bufferevent only */
	if (wslay_event_context_server_init(&c->ctx, &cb, c) != 0) {
		free(c);
		return -1;
	}
	wslay_event_config_set_max_recv_msg_length(c->ctx, WS_MAX_RECV);
	/* The connection is ours now: evhttp's callbacks and timeouts go;
	 * the stall rule replaces the timeouts. */
	bufferevent_setcb(c->bev, ws_read, ws_write, ws_event, c);
	bufferevent_set_timeouts(c->bev, NULL, NULL);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	out = bufferevent_get_output(c->bev);
	evbuffer_add_printf(out, "HTTP/1.1 101 Switching Protocols\r\n"
	    "Upgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", accept);
	c->drained_ms = c->heard_ms = c->pinged_ms = mono_ms();
	c->sub.seq = live->seq;
	TAILQ_INSERT_TAIL(&conns, c, entry);
	st.opened++;
	return 0;
}

static void
queue_control(struct ws_conn *c, uint8_t opcode, const char *payload,
    size_t len)
{
	struct wslay_event_msg	 m;

	m.opcode = opcode;
	m.msg = (const uint8_t *)payload;
	m.msg_length = len;
	(void)wslay_event_queue_msg(c->ctx, &m);
}

/* Cuts a connection that reads nothing; pings a quiet one. 1 when c may
 * be gone. */
static int
check_reader(struct ws_conn *c, uint64_t now)
{
	int	 stalled;

	stalled = evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 &&
	    now - c->drained_ms >= WS_SILENT_MS;
	if (stalled || now - c->heard_ms >= WS_SILENT_MS) {
		st.cut++;
		/* best effort: the close frame may never be read either */
		queue_control(c, WSLAY_CONNECTION_CLOSE, "\x03\xf0", 2);
		(void)wslay_event_send(c->ctx);
		conn_free(c);
		return 1;
	}
	if (now - c->heard_ms >= WS_PING_MS &&
	    now - c->pinged_ms >= WS_PING_MS) {
		c->pinged_ms = now;
		queue_control(c, WSLAY_PING, "", 0);
		conn_pump(c);
		return 1;	/* conn_pump may have freed it */
	}
	return 0;
}

void
ws_tick(void)
{
	struct ws_conn	*c, *t;
	uint64_t	 now = mono_ms();

	TAILQ_FOREACH_SAFE(c, &conns, entry, t)
		(void)check_reader(c, now);
}

void
ws_init(struct live *l)
{
	live = l;
}

void
ws_frame(void)
{
	struct ws_view	 views[WS_VIEWS];
	struct ws_conn	*c, *t;
	struct ws_wire	*w;
	uint64_t	 now = mono_ms();
	int		 i, sent;

	for (i = 0; i < WS_VIEWS; i++) {
		views[i].n = -1;
		views[i].wire = NULL;
	}
	TAILQ_FOREACH_SAFE(c, &conns, entry, t) {
		if (evbuffer_get_length(bufferevent_get_output(c->bev)) > 0 ||
		    live_is_behind(&c->sub)) {
			/* the last one still leaving: this one waits,
			 * summed with any other it meets */
			st.coalesced++;
			(void)live_behind(live, &c->sub);
			continue;
		}
		sent = (w = view_wire(views, c)) != NULL ?
		    send_wire(c, w, now) : -1;
		if (sent == -2)
			continue;	/* freed */
		if (sent == 0)
			live_sent(live, &c->sub);
		else
			send_frame(c);
		conn_pump(c);
	}
	/* the connections hold their own references now */
	for (i = 0; i < WS_VIEWS && views[i].n != -1; i++)
		wire_unref(views[i].wire);
}

int
ws_count(void)
{
	int		 n = 0;
	struct ws_conn	*c;

	TAILQ_FOREACH(c, &conns, entry)
		n++;
	return n;
}

const struct ws_stats *
ws_stats(void)
{
	return &st;
}
