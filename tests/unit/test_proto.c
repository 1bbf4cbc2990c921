/*
 * Protocol decoder and channel tests: the size check accepts exactly what
 * the catalogue says, and a channel carries messages and one fd.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "check.h"
#include "proto.h"

static size_t
build(uint8_t *buf, uint16_t type, const void *payload, uint32_t len,
    uint32_t peer)
{
	struct proto_hdr hdr;

	proto_hdr_init(&hdr, type, len, peer);
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), payload, len);
	return sizeof(hdr) + len;
}

static void
test_decode(void)
{
	static uint8_t	 buf[PROTO_MAX_MSG + 64];
	struct msg_hello hello = { PEER_NATD, 998 };
	struct msg_ctl_request req;
	struct proto_msg msg;
	struct proto_hdr *h = (struct proto_hdr *)buf;
	size_t		 n;

	n = build(buf, MSG_HELLO, &hello, sizeof(hello), PEER_NATD);
	CHECK(proto_decode(buf, n, &msg) == NULL);
	CHECK(msg.hdr.type == MSG_HELLO && msg.len == sizeof(hello));
	CHECK(msg.fd == -1);

	/* Truncated, padded, or lying about its length. */
	CHECK(proto_decode(buf, n - 1, &msg) != NULL);
	CHECK(proto_decode(buf, PROTO_HDR_SIZE - 1, &msg) != NULL);
	h->len = sizeof(hello) + 1;
	CHECK(proto_decode(buf, n + 1, &msg) != NULL);	/* wrong size */

	n = build(buf, MSG_HELLO, &hello, sizeof(hello), PEER_NATD);
	h->version = PROTO_VERSION + 1;
	CHECK_STR(proto_decode(buf, n, &msg), "protocol version mismatch");

	n = build(buf, MSG_TYPE_MAX, &hello, sizeof(hello), PEER_NATD);
	CHECK_STR(proto_decode(buf, n, &msg), "unknown message type");
	n = build(buf, MSG_NONE, &hello, 0, PEER_NATD);
	CHECK(proto_decode(buf, n, &msg) != NULL);
	n = build(buf, MSG_HELLO, &hello, sizeof(hello), PEER_MAX);
	CHECK_STR(proto_decode(buf, n, &msg), "unknown peer");

	/* Text payloads must end in NUL. */
	n = build(buf, MSG_CTL_REPLY, "{}\0", 3, PEER_PARENT);
	CHECK(proto_decode(buf, n, &msg) == NULL);
	n = build(buf, MSG_CTL_REPLY, "{}x", 3, PEER_PARENT);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "text payload not NUL-terminated");

	/* Requests: argc in range, every argument terminated. */
	memset(&req, 0, sizeof(req));
	req.argc = 1;
	strlcpy(req.argv[0], "status", CTL_ARG_SIZE);
	n = build(buf, MSG_CTL_REQUEST, &req, sizeof(req), PEER_GKCTL);
	CHECK(proto_decode(buf, n, &msg) == NULL);
	req.argc = CTL_MAX_ARGS + 1;
	n = build(buf, MSG_CTL_REQUEST, &req, sizeof(req), PEER_GKCTL);
	CHECK_STR(proto_decode(buf, n, &msg), "bad argument count");
	req.argc = 1;
	memset(req.argv[3], 'a', CTL_ARG_SIZE);
	n = build(buf, MSG_CTL_REQUEST, &req, sizeof(req), PEER_GKCTL);
	CHECK_STR(proto_decode(buf, n, &msg), "unterminated argument");

	/* The payload limit holds for the largest type too. */
	memset(buf + PROTO_HDR_SIZE, 'x', PROTO_MAX_PAYLOAD);
	buf[PROTO_HDR_SIZE + PROTO_MAX_PAYLOAD] = '\0';
	n = build(buf, MSG_CTL_REPLY, buf + PROTO_HDR_SIZE,
	    PROTO_MAX_PAYLOAD + 1, PEER_PARENT);
	CHECK(proto_decode(buf, n, &msg) != NULL);
}

/* ---- webd's PTR questions to dnsd and the answers ---- */

static void
test_dns_ptr(void)
{
	static uint8_t	 buf[PROTO_MAX_MSG + 64];
	struct msg_dns_ptr m;
	struct proto_msg msg;
	size_t		 n;

	memset(&m, 0, sizeof(m));
	memcpy(&m.addr, "\xcb\x00\x71\x07", 4);
	n = build(buf, MSG_DNS_PTR_REQ, &m, sizeof(m), PEER_WEBD);
	CHECK(proto_decode(buf, n, &msg) == NULL);
	CHECK_STR(proto_type_name(MSG_DNS_PTR_REQ), "dns-ptr-req");
	/* only webd asks, only dnsd answers */
	n = build(buf, MSG_DNS_PTR_REQ, &m, sizeof(m), PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "message type not allowed from this peer");
	n = build(buf, MSG_DNS_PTR, &m, sizeof(m), PEER_WEBD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "message type not allowed from this peer");
	/* an answer that is the request's status, or a request with one */
	n = build(buf, MSG_DNS_PTR, &m, sizeof(m), PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "PTR status does not fit the message");
	m.status = DNS_PTR_FOUND;
	strlcpy(m.name, "seven.example.test.", sizeof(m.name));
	n = build(buf, MSG_DNS_PTR_REQ, &m, sizeof(m), PEER_WEBD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "PTR status does not fit the message");
	n = build(buf, MSG_DNS_PTR, &m, sizeof(m), PEER_DNSD);
	CHECK(proto_decode(buf, n, &msg) == NULL);
	/* a name webd would have to escape, none with FOUND, one without */
	strlcpy(m.name, "a<b>.example.", sizeof(m.name));
	n = build(buf, MSG_DNS_PTR, &m, sizeof(m), PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "PTR name with a character webd does not show");
	m.name[0] = '\0';
	n = build(buf, MSG_DNS_PTR, &m, sizeof(m), PEER_DNSD);
	CHECK(proto_decode(buf, n, &msg) != NULL);
	m.status = DNS_PTR_NONE;
	CHECK(proto_decode(buf, build(buf, MSG_DNS_PTR, &m, sizeof(m),
	    PEER_DNSD), &msg) == NULL);
	strlcpy(m.name, "x.", sizeof(m.name));
	CHECK(proto_decode(buf, build(buf, MSG_DNS_PTR, &m, sizeof(m),
	    PEER_DNSD), &msg) != NULL);
	m.status = 9;
	m.name[0] = '\0';
	CHECK(proto_decode(buf, build(buf, MSG_DNS_PTR, &m, sizeof(m),
	    PEER_DNSD), &msg) != NULL);
	/* fixed size */
	m.status = DNS_PTR_NONE;
	CHECK_STR(proto_decode(buf, build(buf, MSG_DNS_PTR, &m,
	    sizeof(m) - 1, PEER_DNSD), &msg), "bad payload size for type");
	memset(m.name, 'a', sizeof(m.name));
	m.status = DNS_PTR_FOUND;
	CHECK_STR(proto_decode(buf, build(buf, MSG_DNS_PTR, &m, sizeof(m),
	    PEER_DNSD), &msg), "unterminated name");
}

/* ---- dnsd's observations to webd: counted, bounded, dnsd only ---- */

static void
test_dns_obs(void)
{
	static uint8_t	 buf[PROTO_MAX_MSG + 64];
	static struct msg_dns_obs m;
	struct proto_msg msg;
	size_t		 n;
	uint32_t	 i;

	memset(&m, 0, sizeof(m));
	m.count = 1;
	m.obs[0].family = 4;
	memcpy(m.obs[0].addr, "\xcb\x00\x71\x50", 4);
	m.obs[0].ttl = 300;
	strlcpy(m.obs[0].name, "host.example.test.", DNS_OBS_NAME);
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(1), PEER_DNSD);
	CHECK(proto_decode(buf, n, &msg) == NULL);
	CHECK(msg.len == DNS_OBS_LEN(1));
	CHECK(strcmp(proto_type_name(MSG_DNS_OBS), "dns-obs") == 0);

	/* only dnsd sends them */
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(1), PEER_DHCPD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "message type not allowed from this peer");
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(1), PEER_PARENT);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "message type not allowed from this peer");
	/* the other child-to-child messages have their one sender too */
	{
		struct msg_host		 h;
		struct msg_host_sync	 hs = { 0 };

		memset(&h, 0, sizeof(h));
		n = build(buf, MSG_HOST_ADD, &h, sizeof(h), PEER_DHCPD);
		CHECK(proto_decode(buf, n, &msg) == NULL);
		n = build(buf, MSG_HOST_ADD, &h, sizeof(h), PEER_WEBD);
		CHECK_STR(proto_decode(buf, n, &msg),
		    "message type not allowed from this peer");
		n = build(buf, MSG_HOST_DEL, &h, sizeof(h), PEER_DNSD);
		CHECK(proto_decode(buf, n, &msg) != NULL);
		n = build(buf, MSG_HOST_SYNC, &hs, sizeof(hs), PEER_DNSD);
		CHECK(proto_decode(buf, n, &msg) == NULL);
		n = build(buf, MSG_HOST_SYNC, &hs, sizeof(hs), PEER_DHCPD);
		CHECK(proto_decode(buf, n, &msg) != NULL);
	}

	/* the count says the size: more or fewer entries than it says */
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(2), PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "observation count does not match the size");
	m.count = 0;
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(1), PEER_DNSD);
	CHECK(proto_decode(buf, n, &msg) != NULL);
	m.count = DNS_OBS_MAX + 1;
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(DNS_OBS_MAX), PEER_DNSD);
	CHECK(proto_decode(buf, n, &msg) != NULL);
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(0) + 8, PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg), "bad payload size for type");

	/* a full batch; then one bad entry spoils it */
	for (i = 0; i < DNS_OBS_MAX; i++)
		m.obs[i] = m.obs[0];
	m.obs[DNS_OBS_MAX - 1].family = 6;
	m.count = DNS_OBS_MAX;
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(DNS_OBS_MAX), PEER_DNSD);
	CHECK(proto_decode(buf, n, &msg) == NULL);
	m.obs[33].family = 2;
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(DNS_OBS_MAX), PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "observation of an unknown address family");
	m.obs[33].family = 4;
	memset(m.obs[63].name, 'a', DNS_OBS_NAME);
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(DNS_OBS_MAX), PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "observation without a terminated name");
	m.obs[63].name[0] = '\0';
	n = build(buf, MSG_DNS_OBS, &m, DNS_OBS_LEN(DNS_OBS_MAX), PEER_DNSD);
	CHECK_STR(proto_decode(buf, n, &msg),
	    "observation without a terminated name");
}

/* ---- channel: a message with an fd crosses a socketpair ---- */

static int	 got_type = -1, got_fd = -1, closed;
static char	 closed_why[64];

static void
on_msg(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	got_type = msg->hdr.type;
	got_fd = msg->fd;
	msg->fd = -1;			/* keep it */
	event_base_loopbreak(arg);
}

static void
on_close(struct proto_chan *c, const char *why, void *arg)
{
	closed = 1;
	strlcpy(closed_why, why, sizeof(closed_why));
	event_base_loopbreak(arg);
}

static void
test_chan(void)
{
	struct event_base *base = event_base_new();
	struct proto_chan *a, *b;
	struct msg_hello hello = { PEER_NATD, 998 };
	uint8_t		 junk[PROTO_HDR_SIZE] = { 0 };
	int		 sp[2], p[2];

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0);
	CHECK(pipe(p) == 0);
	a = proto_chan_new(base, sp[0], PEER_NATD, PEER_PARENT, on_msg,
	    on_close, base);
	b = proto_chan_new(base, sp[1], PEER_PARENT, PEER_NATD, on_msg,
	    on_close, base);
	CHECK(a != NULL && b != NULL);
	CHECK(proto_chan_send(a, MSG_HELLO, &hello, sizeof(hello), p[0]) == 0);
	event_base_dispatch(base);
	CHECK(got_type == MSG_HELLO);
	CHECK(got_fd != -1);
	/* Received close-on-exec, and it is the same pipe. */
	CHECK(fcntl(got_fd, F_GETFD) & FD_CLOEXEC);
	CHECK(write(p[1], "x", 1) == 1);
	{
		char c = 0;
		CHECK(read(got_fd, &c, 1) == 1 && c == 'x');
	}
	close(got_fd);

	/* Refused before sending: a malformed message never leaves. */
	CHECK(proto_chan_send(a, MSG_HELLO, &hello, 3, -1) == -1);

	/* A message from the wrong peer closes the channel with a reason. */
	CHECK(proto_chan_send(b, MSG_STATUS_REQ, "\0\0\0\0", 4, -1) == 0);
	got_type = -1;
	event_base_dispatch(base);
	CHECK(got_type == MSG_STATUS_REQ);	/* a expects the parent: ok */
	CHECK(write(sp[0], junk, sizeof(junk)) == (ssize_t)sizeof(junk));
	event_base_dispatch(base);
	CHECK(closed);
	CHECK_STR(closed_why, "protocol version mismatch");

	proto_chan_free(a);
	proto_chan_free(b);
	close(p[0]);
	close(p[1]);
	event_base_free(base);
}

/* ---- send now or drop: no queue, EAGAIN when the peer lags ---- */

static int	 now_count;

static void
on_now(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	if (msg->hdr.type == MSG_DNS_OBS)
		now_count++;
}

static void
test_send_now(void)
{
	struct event_base *base = event_base_new();
	struct proto_chan *a, *b;
	static struct msg_dns_obs m;
	struct msg_hello hello = { PEER_DNSD, 998 };
	int		 sp[2], sent = 0, i;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0);
	a = proto_chan_new(base, sp[0], PEER_DNSD, PEER_WEBD, on_now,
	    on_close, base);
	b = proto_chan_new(base, sp[1], PEER_WEBD, PEER_DNSD, on_now,
	    on_close, base);
	CHECK(a != NULL && b != NULL);
	memset(&m, 0, sizeof(m));
	m.count = DNS_OBS_MAX;
	for (i = 0; i < DNS_OBS_MAX; i++) {
		m.obs[i].family = 4;
		strlcpy(m.obs[i].name, "a.example.", DNS_OBS_NAME);
	}
	/* never sends what the peer would reject */
	errno = 0;
	CHECK(proto_chan_send_now(a, MSG_DNS_OBS, &m, DNS_OBS_LEN(1)) == -1 &&
	    errno == EINVAL);
	/* the peer does not read: full after a while, then EAGAIN */
	for (i = 0; i < 10000; i++) {
		if (proto_chan_send_now(a, MSG_DNS_OBS, &m,
		    DNS_OBS_LEN(DNS_OBS_MAX)) == -1)
			break;
		sent++;
	}
	CHECK(i < 10000 && errno == EAGAIN && sent > 0);
	/* a queued message goes first: send_now refuses while one waits */
	CHECK(proto_chan_send(a, MSG_HELLO, &hello, sizeof(hello), -1) == 0);
	CHECK(proto_chan_send_now(a, MSG_DNS_OBS, &m, DNS_OBS_LEN(1)) == -1);
	/* everything that was sent arrives whole */
	while (now_count < sent) {
		if (event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK) == 1)
			break;
	}
	CHECK(now_count == sent);
	proto_chan_free(a);
	proto_chan_free(b);
	event_base_free(base);
}

/* ---- long replies: parts, then the final message with the NUL ---- */

static char	*long_got;
static size_t	 long_len;
static int	 long_parts, long_done;

static void
on_long(struct proto_chan *c, struct proto_msg *msg, void *arg)
{
	const uint8_t	*p = msg->data;
	size_t		 n = msg->len;

	if (msg->hdr.type == MSG_CHILD_CTL_PART) {
		p += sizeof(struct msg_child_ctl_part);
		n -= sizeof(struct msg_child_ctl_part);
		long_parts++;
	} else {
		p += sizeof(struct msg_child_ctl_reply);
		n -= sizeof(struct msg_child_ctl_reply);
		long_done = 1;
		event_base_loopbreak(arg);
	}
	long_got = realloc(long_got, long_len + n);
	memcpy(long_got + long_len, p, n);
	long_len += n;
}

static void
test_long(void)
{
	struct event_base *base = event_base_new();
	struct proto_chan *a, *b;
	struct msg_child_ctl_part part = { 7 };
	struct msg_child_ctl_reply rep = { 7, 1 };
	size_t		 size = 3 * CTL_PART_SIZE + 1234;
	char		*text = malloc(size + 1);
	int		 sp[2];
	size_t		 i;

	for (i = 0; i < size; i++)
		text[i] = 'a' + i % 26;
	text[size] = '\0';
	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0);
	a = proto_chan_new(base, sp[0], PEER_DHCPD, PEER_PARENT, on_long,
	    on_close, base);
	b = proto_chan_new(base, sp[1], PEER_PARENT, PEER_DHCPD, on_long,
	    on_close, base);
	/* More than the socket buffer holds: the queue must carry it. */
	CHECK(proto_chan_send_long(a, MSG_CHILD_CTL_PART, &part, sizeof(part),
	    MSG_CHILD_CTL_REPLY, &rep, sizeof(rep), text) == 0);
	while (!long_done)
		event_base_dispatch(base);
	CHECK(long_parts == 3);
	CHECK(long_len == size + 1);
	CHECK(long_got != NULL && memcmp(long_got, text, size + 1) == 0);
	/* A short text is one final message. */
	long_parts = long_done = 0;
	long_len = 0;
	CHECK(proto_chan_send_long(a, MSG_CHILD_CTL_PART, &part, sizeof(part),
	    MSG_CHILD_CTL_REPLY, &rep, sizeof(rep), "{}") == 0);
	while (!long_done)
		event_base_dispatch(base);
	CHECK(long_parts == 0 && long_len == 3);
	proto_chan_free(a);
	proto_chan_free(b);
	event_base_free(base);
	free(long_got);
	free(text);
}

/* ---- a peer that never reads costs the sender at most its cap ---- */

static void
test_queue_max(void)
{
	struct event_base *base = event_base_new();
	struct proto_chan *a;
	static char	 text[300000];
	int		 sp[2], i, ok = 0;

	CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp) == 0);
	a = proto_chan_new(base, sp[0], PEER_PARENT, PEER_GKCTL, on_msg,
	    on_close, base);
	CHECK(a != NULL);
	proto_chan_set_queue_max(a, 100000);
	memset(text, 'x', sizeof(text) - 1);
	/* Small ones until the socket is full, then up to the cap. */
	for (i = 0; i < 100000; i++) {
		if (proto_chan_send(a, MSG_CTL_ERROR, "no", 3, -1) == -1)
			break;
		ok++;
	}
	CHECK(i < 100000 && errno == ENOBUFS);
	CHECK(proto_chan_queued(a) > 100000 - 100 &&
	    proto_chan_queued(a) <= 100000);
	/* A long reply over the cap queues no part of itself. */
	i = (int)proto_chan_queued(a);
	CHECK(proto_chan_send_long(a, MSG_CTL_REPLY_PART, NULL, 0,
	    MSG_CTL_REPLY, NULL, 0, text) == -1 && errno == ENOBUFS);
	CHECK((int)proto_chan_queued(a) == i);
	/* Without a cap it would have grown. */
	proto_chan_set_queue_max(a, 0);
	CHECK(proto_chan_send_long(a, MSG_CTL_REPLY_PART, NULL, 0,
	    MSG_CTL_REPLY, NULL, 0, text) == 0);
	CHECK(proto_chan_queued(a) > (size_t)i + sizeof(text) - 1);
	CHECK(ok > 0);
	proto_chan_free(a);
	close(sp[1]);
	event_base_free(base);
}

int
main(void)
{
	test_decode();
	test_dns_obs();
	test_dns_ptr();
	test_chan();
	test_send_now();
	test_long();
	test_queue_max();
	return check_result();
}
