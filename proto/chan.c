/*
 * libevent glue for protocol channels. SOCK_SEQPACKET keeps message
 * boundaries and ties an fd to the message it came with, so there is no
 * reassembly: one recvmsg is one message.
 */
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "chan.h"
#include "log.h"

struct chan_out {
	TAILQ_ENTRY(chan_out) entry;
	size_t		 len;
	int		 fd;
	uint8_t		 buf[];
};

struct proto_chan {
	int		 fd;
	uint32_t	 self_peer;
	uint32_t	 expect_peer;
	struct event	*ev_read;
	struct event	*ev_write;
	proto_msg_cb	 msg_cb;
	proto_close_cb	 close_cb;
	void		*arg;
	TAILQ_HEAD(, chan_out) outq;
	size_t		 queued;	/* bytes in outq */
	size_t		 queue_max;	/* 0: no cap */
	uint8_t		 rbuf[PROTO_MAX_MSG];
};

static void	chan_read(int, short, void *);
static void	chan_write(int, short, void *);

struct proto_chan *
proto_chan_new(struct event_base *base, int fd, uint32_t self_peer,
    uint32_t expect_peer, proto_msg_cb msg_cb, proto_close_cb close_cb,
    void *arg)
{
	struct proto_chan	*c;
	int			 flags;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->fd = fd;
	c->self_peer = self_peer;
	c->expect_peer = expect_peer;
	c->msg_cb = msg_cb;
	c->close_cb = close_cb;
	c->arg = arg;
	TAILQ_INIT(&c->outq);
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	c->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, chan_read, c);
	c->ev_write = event_new(base, fd, EV_WRITE, chan_write, c);
	if (c->ev_read == NULL || c->ev_write == NULL ||
	    event_add(c->ev_read, NULL) == -1)
		goto fail;
	return c;
fail:
	if (c->ev_read)
		event_free(c->ev_read);
	if (c->ev_write)
		event_free(c->ev_write);
	free(c);
	return NULL;
}

void
proto_chan_free(struct proto_chan *c)
{
	struct chan_out	*o;

	if (c == NULL)
		return;
	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		TAILQ_REMOVE(&c->outq, o, entry);
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
	event_free(c->ev_read);
	event_free(c->ev_write);
	close(c->fd);
	free(c);
}

int
proto_chan_fd(const struct proto_chan *c)
{
	return c->fd;
}

/* Sends one datagram with an optional fd; returns 0, -1 with errno. */
static int
send_datagram(int sock, const void *buf, size_t len, int fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = (void *)buf;
	iov.iov_len = len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (fd != -1) {
		memset(&cmsgbuf, 0, sizeof(cmsgbuf));
		mh.msg_control = cmsgbuf.buf;
		mh.msg_controllen = sizeof(cmsgbuf.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) == -1)
		return -1;
	return 0;
}

/* Encodes header + prefix + body into one buffer after checking it. */
static struct chan_out *
chan_out_new(uint32_t self_peer, uint16_t type, const void *prefix,
    size_t prefixlen, const void *body, size_t bodylen)
{
	struct chan_out	*o;
	struct proto_hdr hdr;
	size_t		 len = prefixlen + bodylen;

	if (len > PROTO_MAX_PAYLOAD)
		return NULL;
	if ((o = malloc(sizeof(*o) + PROTO_HDR_SIZE + len)) == NULL)
		return NULL;
	proto_hdr_init(&hdr, type, len, self_peer);
	memcpy(o->buf, &hdr, PROTO_HDR_SIZE);
	if (prefixlen)
		memcpy(o->buf + PROTO_HDR_SIZE, prefix, prefixlen);
	if (bodylen)
		memcpy(o->buf + PROTO_HDR_SIZE + prefixlen, body, bodylen);
	o->len = PROTO_HDR_SIZE + len;
	o->fd = -1;
	/* Never send what the peer would reject. */
	if (proto_check(&hdr, o->buf + PROTO_HDR_SIZE) != NULL) {
		free(o);
		return NULL;
	}
	return o;
}

static int
chan_enqueue(struct proto_chan *c, struct chan_out *o, int fd)
{
	if (fd != -1 && (o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) == -1) {
		free(o);
		return -1;
	}
	/* Keep order: send now only when nothing is waiting. */
	if (TAILQ_EMPTY(&c->outq)) {
		if (send_datagram(c->fd, o->buf, o->len, o->fd) == 0) {
			if (o->fd != -1)
				close(o->fd);
			free(o);
			return 0;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			if (o->fd != -1)
				close(o->fd);
			free(o);
			return -1;
		}
	}
	/* A peer that does not read costs us at most queue_max. */
	if (c->queue_max != 0 && c->queued + o->len > c->queue_max) {
		if (o->fd != -1)
			close(o->fd);
		free(o);
		errno = ENOBUFS;
		return -1;
	}
	TAILQ_INSERT_TAIL(&c->outq, o, entry);
	c->queued += o->len;
	event_add(c->ev_write, NULL);
	return 0;
}

void
proto_chan_set_queue_max(struct proto_chan *c, size_t max)
{
	c->queue_max = max;
}

size_t
proto_chan_queued(const struct proto_chan *c)
{
	return c->queued;
}

int
proto_chan_send(struct proto_chan *c, uint16_t type, const void *data,
    size_t len, int fd)
{
	struct chan_out	*o;

	if ((o = chan_out_new(c->self_peer, type, data, len, NULL, 0)) == NULL)
		return -1;
	return chan_enqueue(c, o, fd);
}

int
proto_chan_send_now(struct proto_chan *c, uint16_t type, const void *data,
    size_t len)
{
	struct proto_hdr hdr;
	struct msghdr	 mh;
	struct iovec	 iov[2];

	if (!TAILQ_EMPTY(&c->outq)) {
		errno = EAGAIN;
		return -1;
	}
	proto_hdr_init(&hdr, type, (uint32_t)len, c->self_peer);
	if (len > PROTO_MAX_PAYLOAD || proto_check(&hdr, data) != NULL) {
		errno = EINVAL;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	iov[0].iov_base = &hdr;
	iov[0].iov_len = PROTO_HDR_SIZE;
	iov[1].iov_base = (void *)data;
	iov[1].iov_len = len;
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	if (sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) == -1) {
		if (errno == EWOULDBLOCK || errno == ENOBUFS)
			errno = EAGAIN;
		return -1;
	}
	return 0;
}

int
proto_chan_send_text(struct proto_chan *c, uint16_t type, const void *prefix,
    size_t prefixlen, const char *text)
{
	struct chan_out	*o;

	o = chan_out_new(c->self_peer, type, prefix, prefixlen, text,
	    strlen(text) + 1);
	if (o == NULL)
		return -1;
	return chan_enqueue(c, o, -1);
}

int
proto_chan_send_long(struct proto_chan *c, uint16_t part_type,
    const void *part_prefix, size_t part_prefixlen, uint16_t final_type,
    const void *final_prefix, size_t final_prefixlen, const char *text)
{
	struct chan_out	*o;
	size_t		 left = strlen(text) + 1, n;

	if (left > CTL_MAX_REPLY)
		return -1;
	/* All parts or none: a reply cut by the cap would be garbage. */
	if (c->queue_max != 0 && c->queued + left + (left / CTL_PART_SIZE +
	    1) * (PROTO_HDR_SIZE + part_prefixlen + final_prefixlen) >
	    c->queue_max) {
		errno = ENOBUFS;
		return -1;
	}
	while (left > CTL_PART_SIZE) {
		n = CTL_PART_SIZE;
		o = chan_out_new(c->self_peer, part_type, part_prefix,
		    part_prefixlen, text, n);
		if (o == NULL || chan_enqueue(c, o, -1) == -1)
			return -1;
		text += n;
		left -= n;
	}
	o = chan_out_new(c->self_peer, final_type, final_prefix,
	    final_prefixlen, text, left);
	if (o == NULL)
		return -1;
	return chan_enqueue(c, o, -1);
}

static void
chan_write(int fd, short ev, void *arg)
{
	struct proto_chan *c = arg;
	struct chan_out	*o;

	while ((o = TAILQ_FIRST(&c->outq)) != NULL) {
		if (send_datagram(fd, o->buf, o->len, o->fd) == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS) {
				event_add(c->ev_write, NULL);
				return;
			}
			c->close_cb(c, "send failed", c->arg);
			return;
		}
		TAILQ_REMOVE(&c->outq, o, entry);
		c->queued -= o->len;
		if (o->fd != -1)
			close(o->fd);
		free(o);
	}
}

/*
 * Receives one datagram and its fd. Returns the byte count, 0 on EOF, -1
 * with errno (EAGAIN: nothing more), or -2 when the datagram or its control
 * data was truncated or carried more than one fd (*fd then -1).
 */
static ssize_t
recv_datagram(int sock, uint8_t *buf, size_t bufsize, int *fd)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(4 * sizeof(int))];
	} cmsgbuf;
	struct cmsghdr	*cm;
	ssize_t		 n;
	int		 nfds = 0, bad = 0;

	*fd = -1;
	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = bufsize;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cmsgbuf.buf;
	mh.msg_controllen = sizeof(cmsgbuf.buf);
	if ((n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC)) <= 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm)) {
		size_t i, k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < k; i++) {
			int f;

			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (nfds++ == 0)
				*fd = f;
			else
				close(f);
		}
	}
	if (nfds > 1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		bad = 1;
	if (bad) {
		if (*fd != -1)
			close(*fd);
		*fd = -1;
		return -2;
	}
	return n;
}

static void
chan_read(int sock, short ev, void *arg)
{
	struct proto_chan *c = arg;
	struct proto_msg msg;
	const char	*why;
	ssize_t		 n;
	int		 fd;

	for (;;) {
		n = recv_datagram(sock, c->rbuf, sizeof(c->rbuf), &fd);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0 || n == -1) {
			c->close_cb(c, n == 0 ? "closed" : "receive failed",
			    c->arg);
			return;
		}
		if (n == -2) {
			c->close_cb(c, "truncated message or extra fds",
			    c->arg);
			return;
		}
		why = proto_decode(c->rbuf, (size_t)n, &msg);
		if (why == NULL && c->expect_peer != PEER_ANY &&
		    msg.hdr.peerid != c->expect_peer)
			why = "message from the wrong peer";
		if (why != NULL) {
			if (fd != -1)
				close(fd);
			c->close_cb(c, why, c->arg);
			return;
		}
		msg.fd = fd;
		c->msg_cb(c, &msg, c->arg);
		if (msg.fd != -1)
			close(msg.fd);
		/* The callback may have freed c (it owns it): stop here and
		 * let libevent call again if more is waiting. */
		return;
	}
}

int
proto_send_sync(int fd, uint32_t self_peer, uint16_t type, const void *data,
    size_t len)
{
	return proto_send_sync_fd(fd, self_peer, type, data, len, -1);
}

int
proto_send_sync_fd(int fd, uint32_t self_peer, uint16_t type,
    const void *data, size_t len, int passfd)
{
	struct chan_out	*o;
	int		 rv;

	if ((o = chan_out_new(self_peer, type, data, len, NULL, 0)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	rv = send_datagram(fd, o->buf, o->len, passfd);
	free(o);
	return rv;
}

const char *
proto_recv_sync(int fd, uint8_t *buf, size_t bufsize, struct proto_msg *msg)
{
	struct msghdr	 mh;
	struct iovec	 iov;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = buf;
	iov.iov_len = bufsize;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n == -1 && errno == EINTR);
	if (n == -1)
		return "receive failed";
	if (n == 0)
		return "connection closed by gatekeeperd";
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return "truncated message";
	return proto_decode(buf, (size_t)n, msg);
}
